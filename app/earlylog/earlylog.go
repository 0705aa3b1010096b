// Package earlylog keeps a harmless complaint off the terminal: under a C locale with a codeset
// (LANG=C.UTF-8, the default of many containers and minimal systems) Fyne's lang package logs
// "Fyne error: Error parsing user locale C" three lines long while the program initialises,
// before main runs, so every command, --help included, would start with it. Under such a
// locale the standard logger is silenced from this package's init (which runs before Fyne's:
// it depends on the standard library alone) until Restore, which package app's init calls
// once Fyne's packages are initialised.
package earlylog

import (
	"io"
	"log"
	"os"
	"strings"
)

func init() {
	if cLocale(os.Getenv) {
		log.SetOutput(io.Discard)
	}
}

// Restore sends the standard logger to stderr again; package app's init calls it, after Fyne's.
func Restore() { log.SetOutput(os.Stderr) }

// cLocale reports whether the locale that messages follow (LC_ALL, LC_MESSAGES, LANG: the first
// set) is C or POSIX with a codeset, which github.com/jeandeaual/go-locale hands Fyne as "C".
func cLocale(getenv func(string) string) bool {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(k); v != "" {
			name, _, dotted := strings.Cut(v, ".")
			return dotted && (name == "C" || name == "POSIX")
		}
	}
	return false
}
