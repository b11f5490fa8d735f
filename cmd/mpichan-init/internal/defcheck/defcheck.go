// Package defcheck checks Apptainer definition files against Apptainer's
// documented grammar, since Apptainer itself cannot be installed here.
//
// A file holds one or more stages; each starts at a line beginning with
// "Bootstrap:". A stage has a header of "Keyword: value" lines (comments and
// blank lines allowed, a trailing backslash continues a value), then
// sections, each opened by a line whose first word is "%name". Checked:
// header keywords are known and come before the stage's first section,
// sections are known (%app* sections need an app name), and every stage has
// a Bootstrap agent that Apptainer knows.
package defcheck

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
)

// Problem is one finding, with its 1-based line number.
type Problem struct {
	Line int
	Msg  string
}

func (p Problem) String() string { return fmt.Sprintf("line %d: %s", p.Line, p.Msg) }

var sections = set("help", "setup", "files", "labels", "environment", "pre", "post",
	"runscript", "test", "startscript", "arguments")

var appSections = set("appinstall", "applabels", "appfiles", "appenv", "apptest",
	"apphelp", "apprun", "appstart")

var headers = set("bootstrap", "from", "includecmd", "mirrorurl", "updateurl", "osversion",
	"include", "library", "registry", "namespace", "stage", "product", "user", "regcode",
	"productpgp", "registerurl", "modules", "otherurl", "fingerprints", "confurl", "setopt")

var agents = set("library", "docker", "shub", "oras", "localimage", "yum", "dnf", "zypper",
	"debootstrap", "arch", "busybox", "scratch", "docker-daemon", "docker-archive",
	"oci", "oci-archive")

func set(names ...string) map[string]bool {
	m := map[string]bool{}
	for _, n := range names {
		m[n] = true
	}
	return m
}

var (
	bootstrapLine = regexp.MustCompile(`(?i)^bootstrap:`)
	keywordLine   = regexp.MustCompile(`^([A-Za-z][A-Za-z0-9]*)\s*:`)
	trailingDigit = regexp.MustCompile(`[0-9]+$`)
)

// known reports whether key (any case) is a header keyword; OtherURL takes
// a number suffix (OtherURL0, OtherURL1, ...).
func known(key string) bool {
	k := strings.ToLower(key)
	if headers[k] && k != "otherurl" {
		return true
	}
	return trailingDigit.MatchString(k) && trailingDigit.ReplaceAllString(k, "") == "otherurl"
}

// Check returns the problems found in a definition file, in line order.
func Check(data []byte) []Problem {
	var probs []Problem
	add := func(line int, format string, args ...any) {
		probs = append(probs, Problem{line, fmt.Sprintf(format, args...)})
	}
	stages := 0
	inHeader := true // before the first section of the current stage
	section := ""
	continued := false
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		trim := strings.TrimSpace(line)
		if bootstrapLine.MatchString(line) {
			stages++
			inHeader, section, continued = true, "", false
			agent := strings.ToLower(strings.TrimSpace(strings.SplitN(line, ":", 2)[1]))
			agent = strings.TrimSpace(strings.Split(agent, "#")[0])
			if !agents[agent] {
				add(n, "unknown bootstrap agent %q", agent)
			}
			continued = strings.HasSuffix(trim, "\\")
			continue
		}
		if fields := strings.Fields(line); len(fields) > 0 && strings.HasPrefix(fields[0], "%") {
			name := strings.ToLower(strings.TrimPrefix(fields[0], "%"))
			switch {
			case sections[name]:
			case appSections[name]:
				if len(fields) < 2 {
					add(n, "section %%%s needs an app name (%%%s NAME)", name, name)
				}
			default:
				add(n, "unknown section %q%s", fields[0], suggest(name, sections, appSections))
			}
			if stages == 0 {
				add(n, "section %s comes before the first Bootstrap: line", fields[0])
			}
			inHeader, section, continued = false, name, false
			continue
		}
		if inHeader {
			if continued {
				continued = strings.HasSuffix(trim, "\\")
				continue
			}
			if trim == "" || strings.HasPrefix(trim, "#") {
				continue
			}
			key, _, ok := strings.Cut(trim, ":")
			key = strings.TrimSpace(key)
			switch {
			case !ok:
				add(n, "header line %q is not \"Keyword: value\"", trim)
			case !known(key):
				add(n, "unknown header keyword %q%s", key, suggest(strings.ToLower(key), headers))
			case stages == 0:
				add(n, "header keyword %q comes before the first Bootstrap: line", key)
			}
			continued = strings.HasSuffix(trim, "\\")
			continue
		}
		if m := keywordLine.FindStringSubmatch(line); m != nil && known(m[1]) {
			add(n, "header keyword %q inside section %%%s: header keywords go before a stage's first section (a new stage starts with Bootstrap:)", m[1], section)
		}
	}
	if stages == 0 {
		add(1, "no Bootstrap: line; every definition (and every stage) starts with one")
	}
	sort.SliceStable(probs, func(i, j int) bool { return probs[i].Line < probs[j].Line })
	return probs
}

// suggest names the closest known word when it is within two edits.
func suggest(word string, sets ...map[string]bool) string {
	best, bestD := "", 3
	for _, s := range sets {
		for k := range s {
			if d := distance(word, k); d < bestD || (d == bestD && k < best) {
				best, bestD = k, d
			}
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance of a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
