package alsamsg

import "testing"

// The handler keeps the first message until it is taken, and only that one.
func TestTakeKeepsTheFirst(t *testing.T) {
	Take()
	if m := Take(); m != "" {
		t.Fatalf("nothing said, Take = %q", m)
	}
	say("cannot find card '0'")
	say("Unknown PCM default")
	if m := Take(); m != "cannot find card '0'" {
		t.Fatalf("Take = %q, want the first message", m)
	}
	if m := Take(); m != "" {
		t.Fatalf("second Take = %q, want nothing", m)
	}
}
