// Package layering holds the test of scripts/layering.sh: a violation of each of its rules is
// planted (through `go list -overlay`, the tree untouched) and the lint must name it.
package layering
