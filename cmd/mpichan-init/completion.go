package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"
)

// bashCompletion completes commands, each command's flags, the built-in
// template names after -t/--template, and file names otherwise. It asks
// the binary itself (--generate-bash-completion), so it stays right as
// flags change.
const bashCompletion = `# bash completion for mpichan-init; load it with
#   source <(mpichan-init completion)
# or save it as /etc/bash_completion.d/mpichan-init
_mpichan_init() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} cmd="" w words
  for w in "${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case $w in -*) ;; *) cmd=$w; break ;; esac
  done
  if [[ $prev == -t || $prev == --template ]]; then
    words=$("${COMP_WORDS[0]}" list 2>/dev/null | cut -d' ' -f1)
    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
    return
  fi
  if [[ -z $cmd ]]; then
    words=$("${COMP_WORDS[0]}" --generate-bash-completion 2>/dev/null)
    [[ $cur == -* ]] && words="--help --version"
  elif [[ $cur == -* ]]; then
    words=$("${COMP_WORDS[0]}" "$cmd" --generate-bash-completion 2>/dev/null)
  else
    mapfile -t COMPREPLY < <(compgen -f -- "$cur")
    return
  fi
  mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")
}
complete -o filenames -F _mpichan_init mpichan-init
`

func completionCommand() *cli.Command {
	return &cli.Command{
		Name:  "completion",
		Usage: "print the bash completion script: source <(mpichan-init completion)",
		Action: func(c *cli.Context) error {
			_, err := fmt.Fprint(c.App.Writer, bashCompletion)
			return err
		},
	}
}

// completeFlags prints every flag name of the command, one a line, for
// the completion script.
func completeFlags(c *cli.Context) {
	for _, f := range c.Command.Flags {
		for _, n := range f.Names() {
			if len(n) == 1 {
				fmt.Fprintln(c.App.Writer, "-"+n)
			} else {
				fmt.Fprintln(c.App.Writer, "--"+strings.TrimSpace(n))
			}
		}
	}
	fmt.Fprintln(c.App.Writer, "--help")
}
