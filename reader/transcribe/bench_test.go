package transcribe

import (
	"context"

	"syscall"
	"testing"
	"time"
)

// childCPU is the CPU time (user + system) of the children waited for so far.
func childCPU(b testing.TB) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_CHILDREN, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchDictation is the first unseen one-minute dictation in the first voice at 150 wpm.
func benchDictation(b *testing.B) (*PocketSphinx, Audio, []string) {
	eng := sphinx(b)
	_, dicts := unseenSet(b)
	a, _ := synth(b, b.TempDir(), "bench", asrVoices[0], asrSpeeds[0], dicts[0].text())
	return eng, a, dicts[0].words()
}

// BenchmarkRecognize reports the recogniser's CPU seconds per second of audio (target ≤ 0.15),
// counted from the child processes' rusage: the decoding runs in pocketsphinx_continuous.
func BenchmarkRecognize(b *testing.B) {
	eng, a, _ := benchDictation(b)
	b.ResetTimer()
	start := childCPU(b)
	for range b.N {
		if _, err := eng.Recognize(context.Background(), a); err != nil {
			b.Fatal(err)
		}
	}
	cpu := childCPU(b) - start
	b.ReportMetric(cpu.Seconds()/(a.Seconds*float64(b.N)), "cpu-s/audio-s")
	b.ReportMetric(a.Seconds, "audio-s")
}

// BenchmarkAlign is forced alignment of the same dictation's text.
func BenchmarkAlign(b *testing.B) {
	eng, a, words := benchDictation(b)
	b.ResetTimer()
	start := childCPU(b)
	for range b.N {
		al, err := Align(context.Background(), eng, a, words)
		if err != nil || al.Method != MethodForced {
			b.Fatal(err, al.Method)
		}
	}
	cpu := childCPU(b) - start
	b.ReportMetric(cpu.Seconds()/(a.Seconds*float64(b.N)), "cpu-s/audio-s")
}
