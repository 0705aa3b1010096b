package childproc

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const parentEnv = "CHILDPROC_TEST_PARENT"

// TestMain lets the test binary play the test that starts a daemon: run with parentEnv set, it
// starts a long sleep through Start, prints its pid, and waits to be killed.
func TestMain(m *testing.M) {
	if os.Getenv(parentEnv) == "1" {
		cmd := exec.Command("sleep", "600")
		if err := Start(cmd); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println(cmd.Process.Pid)
		select {}
	}
	os.Exit(m.Run())
}

// TestChildDiesWithParent kills the "test" with SIGKILL (no clean-up runs) and checks that the
// child it started goes too.
func TestChildDiesWithParent(t *testing.T) {
	parent := exec.Command(os.Args[0], "-test.run=^$")
	parent.Env = append(os.Environ(), parentEnv+"=1")
	out, err := parent.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := parent.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		parent.Process.Kill()
		t.Fatalf("the parent printed no pid: %v (%q)", err, line)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		parent.Process.Kill()
		t.Fatalf("the parent: %q", line)
	}
	alive := func() bool {
		// A zombie is dead: its parent (init, once ours is gone) has yet to reap it.
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
		return err == nil && !strings.Contains(string(b), ") Z ")
	}
	if !alive() {
		t.Fatalf("child %d is not running", pid)
	}
	if err := parent.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	parent.Wait()
	// The kernel signals the child as the parent exits; a loaded machine may take a while to
	// run it: a generous deadline, polled.
	deadline := time.Now().Add(60 * time.Second)
	for alive() {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL)
			t.Fatalf("child %d still running 60 s after its parent was killed", pid)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestStartFails: an error from exec reaches the caller.
func TestStartFails(t *testing.T) {
	if err := Start(exec.Command("/no/such/program")); err == nil {
		t.Fatal("Start of a missing program succeeded")
	}
}
