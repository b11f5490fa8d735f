package mpichan

import (
	"os"
	"testing"
)

// TestAcrossNodes: the launcher's environment tells whether a job spans
// nodes, the same way on every rank.
func TestAcrossNodes(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want bool
	}{
		{map[string]string{}, false},
		{map[string]string{"OMPI_COMM_WORLD_LOCAL_SIZE": "2", "OMPI_COMM_WORLD_SIZE": "6"}, true},
		{map[string]string{"OMPI_COMM_WORLD_LOCAL_SIZE": "6", "OMPI_COMM_WORLD_SIZE": "6"}, false},
		{map[string]string{"MPI_LOCALNRANKS": "2", "PMI_SIZE": "6"}, true},
		{map[string]string{"MPI_LOCALNRANKS": "4", "PMI_SIZE": "4"}, false},
		{map[string]string{"SLURM_STEP_NUM_NODES": "3"}, true},
		{map[string]string{"SLURM_STEP_NUM_NODES": "1"}, false},
	} {
		for _, k := range []string{"OMPI_COMM_WORLD_LOCAL_SIZE", "OMPI_COMM_WORLD_SIZE", "MPI_LOCALNRANKS", "PMI_SIZE", "SLURM_STEP_NUM_NODES"} {
			t.Setenv(k, c.env[k])
		}
		if got := acrossNodes(); got != c.want {
			t.Errorf("acrossNodes with %v = %v, want %v", c.env, got, c.want)
		}
	}
}

// TestOSCAllows: OMPI_MCA_osc's include and exclude lists.
func TestOSCAllows(t *testing.T) {
	for _, c := range []struct {
		osc, name string
		want      bool
	}{
		{"", "sm", true}, {"", "ucx", false}, {"", "pt2pt", false}, {"", "rdma", true},
		{"^sm", "sm", false}, {"^sm", "ucx", true}, {"ucx", "ucx", true}, {"ucx", "sm", false},
		{"sm,rdma", "rdma", true}, {"^ucx, pt2pt", "pt2pt", false},
	} {
		t.Setenv("OMPI_MCA_osc", c.osc)
		if got := oscAllows(c.name); got != c.want {
			t.Errorf("OMPI_MCA_osc=%q: oscAllows(%q) = %v, want %v", c.osc, c.name, got, c.want)
		}
	}
}

// TestUserSettingsWin: Init's defaults never replace a value the user set.
func TestUserSettingsWin(t *testing.T) {
	t.Setenv("MPICHAN_TEST_A", "mine")
	setDefaults([][2]string{{"MPICHAN_TEST_A", "default"}, {"MPICHAN_TEST_B", "default"}})
	t.Cleanup(func() { os.Unsetenv("MPICHAN_TEST_B") })
	if a, b := getenv("MPICHAN_TEST_A"), getenv("MPICHAN_TEST_B"); a != "mine" || b != "default" {
		t.Fatalf("after setDefaults: A=%q B=%q", a, b)
	}
}

// TestMPICHFinalizeHangs: the watchdog is armed for MPICH before 4.2 only.
func TestMPICHFinalizeHangs(t *testing.T) {
	for lib, want := range map[string]bool{
		"MPICH Version:      4.0.2\nMPICH Release date: ...": true,
		"MPICH Version:\t4.1.2":                              true,
		"MPICH Version: 4.2.0":                               false,
		"MPICH Version: 3.4.3":                               true,
		"Open MPI v4.1.4, package: Debian":                   false,
	} {
		if got := mpichFinalizeHangs(lib); got != want {
			t.Errorf("mpichFinalizeHangs(%q) = %v, want %v", lib, got, want)
		}
	}
}

func getenv(k string) string { return os.Getenv(k) }
