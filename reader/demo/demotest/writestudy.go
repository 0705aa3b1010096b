//go:build ignore

// writestudy writes the demo study (reader/demo) into the folder given, once for every test
// binary of `make test` that reads it (reader/demo/demotest.StudyEnv).
//
// Usage: go run reader/demo/demotest/writestudy.go DIR
package main

import (
	"fmt"
	"os"

	"sightline/reader/demo"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: go run reader/demo/demotest/writestudy.go DIR")
		os.Exit(2)
	}
	if _, err := demo.Write(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, "writestudy:", err)
		os.Exit(1)
	}
}
