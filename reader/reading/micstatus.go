package reading

import "time"

// MicStatus is the dictation recording as the operator's console shows it (ui.AudioStatus).
type MicStatus struct {
	Enabled   bool          // a microphone is in use (false: gaze-only session)
	Recording bool          // a case's audio is being written now
	LevelDB   float64       // RMS of the last ~100 ms, dBFS
	Elapsed   time.Duration // recording clock of the current case
	Device    string
	Err       string // the microphone failed
	// Silent is how long the case being recorded has heard nothing above the silence
	// threshold; the console flags it from ui.SilentFlag on.
	Silent time.Duration
	// Clock is what the last case's audio clock said when it was out of bounds (a rate beyond
	// ±500 ppm, audio the device did not deliver); "" when it was fine.
	Clock string
}
