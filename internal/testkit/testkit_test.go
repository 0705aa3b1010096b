package testkit

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestReadCSV(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.csv")
	if err := os.WriteFile(p, []byte("a,b\n1,\"x,y\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := ReadCSV(t, p); !reflect.DeepEqual(got, [][]string{{"a", "b"}, {"1", "x,y"}}) {
		t.Fatalf("ReadCSV = %q", got)
	}
}

func TestRealDICOM(t *testing.T) {
	b := RealDICOM(t)
	if len(b) < 132 || string(b[128:132]) != "DICM" {
		t.Fatalf("%d bytes without the DICM preamble", len(b))
	}
}
