package transcribe

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"sightline/reader/study"
	"sightline/reader/wav"
)

// MinEnrollRecordings is the fewest script lines an enrollment takes: fewer say too little
// about a voice to move a model that was trained on hundreds of hours.
const MinEnrollRecordings = 20

// Enroll is a reader's speaker enrollment in a study (`sightline enroll`): the recordings of
// the enrollment script's lines in recDir (NN.wav for line NN) are copied to the study's
// enrollment folder for reader, and the acoustic model is adapted to that voice into the
// reader's acoustic folder (study.EnrollmentDir, study.AcousticDir). adapting is told how many
// lines are adapted from, once they are checked and copied (nil: not told).
func Enroll(ctx context.Context, studyDir, reader, recDir string, adapting func(lines int)) (*Adaptation, string, error) {
	if reader == "" {
		return nil, "", errors.New("enroll: name the reader (--reader NAME)")
	}
	if fi, err := os.Stat(studyDir); err != nil || !fi.IsDir() {
		return nil, "", fmt.Errorf("enroll: %s is not a study folder", studyDir)
	}
	enrollDir, err := study.EnrollmentDir(studyDir, reader)
	if err != nil {
		return nil, "", err
	}
	acoustic, err := study.AcousticDir(studyDir, reader)
	if err != nil {
		return nil, "", err
	}
	tools, err := FindAdaptTools()
	if err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(filepath.Join(SphinxHMM, "mdef")); err != nil {
		return nil, "", &NotInstalledError{Engine: "pocketsphinx's acoustic model", Install: SphinxInstall}
	}
	recs, err := EnrollmentRecordings(recDir, enrollDir)
	if err != nil {
		return nil, "", err
	}
	if adapting != nil {
		adapting(len(recs))
	}
	a, err := Adapt(ctx, tools, SphinxHMM, recs, reader, acoustic, time.Now())
	if err != nil {
		return nil, "", fmt.Errorf("enroll %s: %w", reader, err)
	}
	return a, acoustic, nil
}

// EnrollmentRecordings finds the recordings of the script's lines in recDir (NN.wav, NNN.wav
// or N.wav for line N), copies them into enrollDir (in place of an earlier enrollment's) and
// returns them there. Fewer than MinEnrollRecordings, or a file that is not a WAV, is refused
// before anything is copied.
func EnrollmentRecordings(recDir, enrollDir string) ([]Recording, error) {
	script := EnrollmentScript()
	src := map[int]string{}
	for i := range script {
		for _, name := range []string{fmt.Sprintf("%02d.wav", i+1), fmt.Sprintf("%03d.wav", i+1), fmt.Sprintf("%d.wav", i+1)} {
			p := filepath.Join(recDir, name)
			if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() {
				src[i] = p
				break
			}
		}
	}
	if len(src) < MinEnrollRecordings {
		return nil, fmt.Errorf("%s: %d of the %d script lines recorded (NN.wav for line NN), want at least %d", recDir, len(src), len(script), MinEnrollRecordings)
	}
	for _, p := range src { // a bad file is refused before an earlier enrollment's recordings are replaced
		if _, err := wav.Inspect(p); err != nil {
			return nil, fmt.Errorf("%s: %w", p, err)
		}
	}
	if err := os.MkdirAll(enrollDir, 0o755); err != nil {
		return nil, fmt.Errorf("enrollment folder: %w", err)
	}
	old, _ := filepath.Glob(filepath.Join(enrollDir, "*.wav"))
	var recs []Recording
	for i, words := range script {
		p, ok := src[i]
		if !ok {
			continue
		}
		dst := filepath.Join(enrollDir, fmt.Sprintf("%02d.wav", i+1))
		if err := copyRecording(p, dst); err != nil {
			return nil, err
		}
		recs = append(recs, Recording{Audio: dst, Words: words})
	}
	for _, o := range old {
		if !slices.ContainsFunc(recs, func(r Recording) bool { return r.Audio == o }) {
			os.Remove(o) // a line the earlier enrollment had and this one has not
		}
	}
	return recs, nil
}

// copyRecording copies a line's recording into the enrollment folder; one already there (the
// station records into that folder) is left as it is.
func copyRecording(src, dst string) error {
	if filepath.Clean(src) == filepath.Clean(dst) {
		return nil
	}
	b, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		return fmt.Errorf("copy %s: %w", src, err)
	}
	return nil
}
