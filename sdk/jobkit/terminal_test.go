package jobkit_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

const helperEnv = "JOBKIT_TERMINAL_HELPER"

// TestTerminalHelper prints what Terminal decides in the process it runs in;
// TestTerminal runs it in several places.
func TestTerminalHelper(t *testing.T) {
	if os.Getenv(helperEnv) == "" {
		t.Skip("run by TestTerminal")
	}
	fmt.Printf("terminal=%v\n", jobkit.Terminal() != nil)
}

// TestTerminal: a bar is drawn on a terminal in the foreground (script(1)
// gives the program one) and nowhere else: not on a pipe or a file, and not on the
// pseudo-terminal that Open MPI's mpirun gives rank 0, whether or not
// mpirun itself runs on a terminal.
func TestTerminal(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("script(1) is not installed")
	}
	self := os.Args[0] + " -test.run=^TestTerminalHelper$"
	out := filepath.Join(t.TempDir(), "out")
	launch := strings.Join(mpitest.Launcher(1), " ") + " " + self
	for _, c := range []struct {
		name string
		argv []string
		want string
	}{
		{"pipe", []string{"sh", "-c", self}, "terminal=false"},
		{"terminal", []string{"script", "-qec", self, "/dev/null"}, "terminal=true"},
		{"terminal, output to a file", []string{"script", "-qec", self + " >" + out + " 2>&1; cat " + out, "/dev/null"}, "terminal=false"},
		{"mpirun, output to a pipe", []string{"sh", "-c", launch}, "terminal=false"},
		{"mpirun on a terminal", []string{"script", "-qec", launch, "/dev/null"}, "terminal=false"},
	} {
		if strings.HasPrefix(c.name, "mpirun") && testing.Short() {
			continue
		}
		cmd := exec.Command(c.argv[0], c.argv[1:]...)
		cmd.Env = append(os.Environ(), helperEnv+"=1")
		cmd.Env = append(cmd.Env, mpitest.Env(1)...)
		cmd.Stdin = strings.NewReader("")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), c.want) {
			t.Errorf("%s: want %s; err=%v, output:\n%s", c.name, c.want, err, out)
		}
	}
}
