package defcheck

import (
	"bufio"
	"bytes"
	"strings"
)

// Section is one "%name args..." section of a stage: its name in lower
// case without the %, the words after the name, and the lines up to the
// next section or stage, as written.
type Section struct {
	Line int
	Name string
	Args []string
	Body string
}

// Stage is one stage of a definition file: its header keywords (lower
// case, values trimmed, continuation lines joined) and its sections in
// file order.
type Stage struct {
	Header   map[string]string
	Sections []Section
}

// Section returns the body of the stage's first section called name
// (lower case, no %) and whether the stage has one.
func (s Stage) Section(name string) (string, bool) {
	for _, sec := range s.Sections {
		if sec.Name == name {
			return sec.Body, true
		}
	}
	return "", false
}

// Parse splits a definition file into its stages. It does not check the
// file; Check does.
func Parse(data []byte) []Stage {
	var stages []Stage
	var body []string
	flush := func() {
		if n := len(stages); n > 0 && len(stages[n-1].Sections) > 0 {
			secs := stages[n-1].Sections
			secs[len(secs)-1].Body = strings.Join(body, "\n")
		}
		body = nil
	}
	key, continued := "", false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if bootstrapLine.MatchString(line) {
			flush()
			stages = append(stages, Stage{Header: map[string]string{}})
			key, continued = "", false
		}
		if len(stages) == 0 {
			continue
		}
		st := &stages[len(stages)-1]
		if fields := strings.Fields(line); len(fields) > 0 && strings.HasPrefix(fields[0], "%") {
			flush()
			st.Sections = append(st.Sections, Section{Line: n,
				Name: strings.ToLower(strings.TrimPrefix(fields[0], "%")), Args: fields[1:]})
			continue
		}
		if len(st.Sections) > 0 {
			body = append(body, line)
			continue
		}
		if continued {
			st.Header[key] = strings.TrimSpace(st.Header[key] + " " + strings.TrimSuffix(trim, "\\"))
			continued = strings.HasSuffix(trim, "\\")
			continue
		}
		if trim == "" || strings.HasPrefix(trim, "#") {
			continue
		}
		if k, v, ok := strings.Cut(trim, ":"); ok {
			key = strings.ToLower(strings.TrimSpace(k))
			v = strings.TrimSpace(strings.Split(v, "#")[0])
			st.Header[key] = strings.TrimSpace(strings.TrimSuffix(v, "\\"))
			continued = strings.HasSuffix(v, "\\")
		}
	}
	flush()
	return stages
}
