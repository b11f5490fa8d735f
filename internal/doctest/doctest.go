// Package doctest checks the documentation against the code: the README's
// Go program compiles and runs, and every shell command in README.md,
// docs/*.md and examples/*/README.md runs as written, on a fresh copy of
// the repository (see the tests; the package itself only parses Markdown).
package doctest

import (
	"bufio"
	"strings"
)

// Block is one fenced code block of a Markdown file.
type Block struct {
	Lang  string // the info string after ```: go, sh, ... or ""
	Line  int    // 1-based line of the opening fence
	Lines []string
}

// Blocks returns the fenced code blocks of a Markdown text.
func Blocks(md string) []Block {
	var out []Block
	var cur *Block
	sc := bufio.NewScanner(strings.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.HasPrefix(line, "```") {
			if cur == nil {
				cur = &Block{Lang: strings.TrimSpace(strings.TrimPrefix(line, "```")), Line: n}
			} else {
				out = append(out, *cur)
				cur = nil
			}
			continue
		}
		if cur != nil {
			cur.Lines = append(cur.Lines, line)
		}
	}
	return out
}

// Shell reports whether a block holds shell commands to run.
func (b Block) Shell() bool { return b.Lang == "sh" || b.Lang == "bash" || b.Lang == "shell" }

// Command strips a trailing "# comment" (outside quotes) from a shell line
// and trims it; comment-only and empty lines give "".
func Command(line string) string {
	inS, inD := false, false
	for i, r := range line {
		switch {
		case r == '\'' && !inD:
			inS = !inS
		case r == '"' && !inS:
			inD = !inD
		case r == '#' && !inS && !inD && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t'):
			return strings.TrimSpace(line[:i])
		}
	}
	return strings.TrimSpace(line)
}

// Transcript is a "$ command" line of a plain block, with the first line
// of output the documentation shows for it.
type Transcript struct {
	Command, FirstOutput string
}

// Transcripts returns the "$ " commands of a block that is not shell code.
func (b Block) Transcripts() []Transcript {
	var out []Transcript
	for i, l := range b.Lines {
		if cmd, ok := strings.CutPrefix(l, "$ "); ok {
			t := Transcript{Command: cmd}
			if i+1 < len(b.Lines) && !strings.HasPrefix(b.Lines[i+1], "$ ") {
				t.FirstOutput = b.Lines[i+1]
			}
			out = append(out, t)
		}
	}
	return out
}
