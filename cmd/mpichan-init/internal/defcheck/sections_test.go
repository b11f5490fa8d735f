package defcheck

import (
	"reflect"
	"testing"
)

func TestParse(t *testing.T) {
	def := "# comment\nBootstrap: docker\nFrom: golang:1.26-bookworm # the base\n" +
		"IncludeCmd: \\\n  yes\n\n%post -c /bin/bash\n    set -eu\n\n    go build\n%environment\n    export A=1\n" +
		"Bootstrap: localimage\nFrom: a.sif\n%runscript\n    exec x \"$@\"\n"
	stages := Parse([]byte(def))
	if len(stages) != 2 {
		t.Fatalf("Parse: %d stages, want 2", len(stages))
	}
	wantHeader := map[string]string{"bootstrap": "docker", "from": "golang:1.26-bookworm", "includecmd": "yes"}
	if !reflect.DeepEqual(stages[0].Header, wantHeader) {
		t.Errorf("stage 1 header = %q, want %q", stages[0].Header, wantHeader)
	}
	post := stages[0].Sections[0]
	if post.Name != "post" || post.Line != 7 || !reflect.DeepEqual(post.Args, []string{"-c", "/bin/bash"}) ||
		post.Body != "    set -eu\n\n    go build" {
		t.Errorf("stage 1 %%post = %+v", post)
	}
	if env, ok := stages[0].Section("environment"); !ok || env != "    export A=1" {
		t.Errorf("stage 1 %%environment = %q, %v", env, ok)
	}
	if _, ok := stages[0].Section("runscript"); ok {
		t.Error("stage 1 has the %runscript of stage 2")
	}
	if run, _ := stages[1].Section("runscript"); run != "    exec x \"$@\"" || stages[1].Header["from"] != "a.sif" {
		t.Errorf("stage 2 = %+v", stages[1])
	}
}
