package cli

import (
	"fmt"
	"runtime"
	"runtime/debug"
)

// fyneModule is the GUI toolkit whose version --version reports.
const fyneModule = "fyne.io/fyne/v2"

// versionText is what "deskchat --version" prints: the version and commit
// the build stamped (the Makefile passes `git describe --always --dirty`
// and `git rev-parse HEAD` through -ldflags -X), else what the Go build
// information holds (a `go install`ed module has its version; a plain
// `go build` with VCS stamping has the revision), and the Go and Fyne
// versions.
func versionText(version, commit string) string {
	bi, _ := debug.ReadBuildInfo()
	return formatVersion(version, commit, bi)
}

func formatVersion(version, commit string, bi *debug.BuildInfo) string {
	fyne := "not linked"
	if bi != nil {
		if version == "" && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
			version = bi.Main.Version
		}
		if commit == "" {
			commit = setting(bi, "vcs.revision")
			if commit != "" && setting(bi, "vcs.modified") == "true" {
				commit += "-dirty"
			}
		}
		for _, d := range bi.Deps {
			if d.Path == fyneModule {
				if d.Replace != nil {
					d = d.Replace
				}
				fyne = d.Version
			}
		}
	}
	if version == "" {
		version = "devel (built without a version; `make build` stamps one)"
	}
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("deskchat %s\ncommit %s\n%s\nFyne %s\n", version, commit, runtime.Version(), fyne)
}

func setting(bi *debug.BuildInfo, key string) string {
	for _, s := range bi.Settings {
		if s.Key == key {
			return s.Value
		}
	}
	return ""
}
