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

// A message with an unexpanded configuration variable gives way to the next plain one; when
// every message has one, the first is said.
func TestTakePrefersAPlainMessage(t *testing.T) {
	Take()
	say("Unknown PCM $PCM")
	say("Unknown PCM dmix")
	say("Unknown PCM dsnoop")
	if m := Take(); m != "Unknown PCM dmix" {
		t.Fatalf("Take = %q, want the first plain message", m)
	}
	say("cannot find card '$CARD'")
	if m := Take(); m != "cannot find card '$CARD'" {
		t.Fatalf("Take = %q, want the only message", m)
	}
}

// A missing card is said over the lines around it.
func TestTakePrefersTheCard(t *testing.T) {
	Take()
	say("cannot find card '$CARD'")
	say("function snd_func_card_inum returned error: No such device")
	say("cannot find card '0'")
	if m := Take(); m != "cannot find card '0'" {
		t.Fatalf("Take = %q, want the missing card", m)
	}
}
