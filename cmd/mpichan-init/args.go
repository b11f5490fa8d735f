package main

import (
	"strings"

	"github.com/urfave/cli/v2"
)

// completionFlag is the flag urfave/cli appends to ask for completions.
const completionFlag = "--generate-bash-completion"

// valueFlags returns the names and aliases of cmd's flags that take a
// value (all but the boolean ones).
func valueFlags(cmd *cli.Command) map[string]bool {
	m := map[string]bool{}
	if cmd == nil {
		return m
	}
	for _, f := range cmd.Flags {
		if _, isBool := f.(*cli.BoolFlag); isBool {
			continue
		}
		for _, n := range f.Names() {
			m[n] = true
		}
	}
	return m
}

// interspersed returns args with the flags of a command moved in front of
// its other arguments, so that `new myjob -t sweep --nodes 2` means what
// `new -t sweep --nodes 2 myjob` means, as in git and cargo (urfave/cli
// stops reading flags at the first other argument). Everything after "--"
// stays an argument.
func interspersed(app *cli.App, args []string) []string {
	if len(args) < 3 {
		return args
	}
	tail := args[1:]
	complete := false
	if tail[len(tail)-1] == completionFlag {
		tail, complete = tail[:len(tail)-1], true
	}
	out := []string{args[0]}
	i := 0
	for i < len(tail) && strings.HasPrefix(tail[i], "-") { // global flags
		out = append(out, tail[i])
		i++
	}
	if i < len(tail) {
		out = append(out, tail[i]) // the command
		takesValue := valueFlags(app.Command(tail[i]))
		var flags, rest []string
		for j := i + 1; j < len(tail); j++ {
			a := tail[j]
			switch {
			case a == "--":
				rest = append(rest, tail[j+1:]...)
				j = len(tail)
			case strings.HasPrefix(a, "-") && a != "-":
				flags = append(flags, a)
				name := strings.TrimLeft(a, "-")
				if !strings.Contains(name, "=") && takesValue[name] && j+1 < len(tail) {
					flags = append(flags, tail[j+1])
					j++
				}
			default:
				rest = append(rest, a)
			}
		}
		out = append(out, flags...)
		if len(rest) > 0 {
			out = append(append(out, "--"), rest...)
		}
	}
	if complete {
		out = append(out, completionFlag)
	}
	return out
}
