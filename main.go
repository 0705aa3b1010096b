// Command sightline is the Sightline reading station: with no arguments it opens the start
// screen; `sightline demo` reads the embedded demo study. See `sightline --help`.
package main

import (
	"os"

	"sightline/app"
)

func main() {
	os.Exit(app.Main(os.Args[1:]))
}
