package jobkittest

import (
	"os"
	"strconv"
	"testing"

	"github.com/mpichan/mpichan/sdk/jobkit"
	"github.com/mpichan/mpichan/sdk/mpitest"
)

// KillAndRerun launches exe with args on n ranks, and has the rank that
// writes the journal kill itself with SIGKILL once it has journaled kill
// tasks (jobkit.KillAfterEnv), which ends the whole launch. It fails the
// test unless the launch failed and left the journal file. Then it
// launches the job again, which must succeed, and returns that run's
// output.
func KillAndRerun(t *testing.T, n, kill int, journal, exe string, args ...string) string {
	t.Helper()
	t.Setenv(jobkit.KillAfterEnv, strconv.Itoa(kill))
	if out, err := mpitest.LaunchJob(n, exe, args...); err == nil {
		t.Fatalf("the job was not killed:\n%s", out)
	}
	if _, err := os.Stat(journal); err != nil {
		t.Fatalf("no journal after the kill: %v", err)
	}
	os.Unsetenv(jobkit.KillAfterEnv)
	out, err := mpitest.LaunchJob(n, exe, args...)
	if err != nil {
		t.Fatalf("the run after the kill: %v\n%s", err, out)
	}
	return out
}
