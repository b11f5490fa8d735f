package main

import (
	"runtime/debug"
	"strings"
)

// version, when set at link time (-ldflags "-X main.version=v1.2.3"),
// overrides the version read from the build information.
var version = ""

// toolVersion is what --version prints and what generated files name as
// their generator.
func toolVersion() string {
	if version != "" {
		return version
	}
	info, _ := debug.ReadBuildInfo()
	return versionFrom(info)
}

// versionFrom tells the version from Go's build information: the module
// version for `go install ...@v1.2.3`, else the VCS revision of a build in
// a checkout ("devel 0123abcd4567", "-dirty" when modified), else "devel".
func versionFrom(info *debug.BuildInfo) string {
	if info == nil {
		return "devel (no build information)"
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, when string
	dirty := false
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			when = s.Value
		case "vcs.modified":
			dirty = s.Value == "true"
		}
	}
	if rev == "" {
		return "devel (built without VCS information)"
	}
	v := "devel " + rev[:min(12, len(rev))]
	if when != "" {
		v += " " + strings.TrimSuffix(when, "Z")
	}
	if dirty {
		v += "-dirty"
	}
	return v
}
