// Package session plans a blinded reading session and records it crash-safely into one folder:
// the session record, an event journal and, per screen, EGD-CXR gaze and fixation rows.
package session

import (
	"fmt"
	"math/bits"
	"math/rand/v2"
)

// Kind is what a screen of a plan shows; the constants are the one place each is spelled, in
// session.json's plan, layout.json and the journal's screen events.
type Kind string

// Screen kinds.
const (
	KindCase        Kind = "case"
	KindCalibration Kind = "calibration"
)

// Screen is one screen of a session plan.
type Screen struct {
	Index   int    `json:"index"`    // position in the plan, from 0
	Kind    Kind   `json:"kind"`     // KindCase or KindCalibration
	DicomID string `json:"dicom_id"` // the case, or CalibrationID for a calibration screen
}

// CalibrationID names the n-th (from 1) calibration screen of a session. The name cannot be
// mistaken for a damaged dicom_id (the original dataset's calibration rows could, docs/FORMATS.md §1).
func CalibrationID(sessionID string, n int) string {
	return fmt.Sprintf("calibration-%s-%d", sessionID, n)
}

// planStream is the second PCG seed word, fixed so that a plan depends on the seed alone.
const planStream = 0x5349_4748_544c_494e // "SIGHTLIN"

// NewPlan shuffles caseIDs with a PCG seeded from seed and inserts calibration screens about
// every calibEvery cases: k = max(1, round(n/calibEvery)) of them, one at a random position in
// each of k equal segments of the shuffled cases, each placed before a case, so that two are
// never adjacent and the last screen is always a case. calibEvery ≤ 0 inserts none, and an empty
// worklist gives an empty plan.
//
// The plan is reproducible across Go versions: only the PCG output stream (a fixed, specified
// algorithm) is used; the shuffle and the bounded draws are done here rather than with
// rand.Shuffle and rand.IntN, whose algorithms the standard library may change.
func NewPlan(sessionID string, caseIDs []string, seed int64, calibEvery int) []Screen {
	n := len(caseIDs)
	if n == 0 {
		return nil
	}
	src := rand.NewPCG(uint64(seed), planStream)
	ids := append([]string(nil), caseIDs...)
	for i := n - 1; i > 0; i-- { // Fisher–Yates
		j := int(uintn(src, uint64(i+1)))
		ids[i], ids[j] = ids[j], ids[i]
	}
	var before []bool // before[i]: a calibration screen precedes shuffled case i
	k := 0
	if calibEvery > 0 {
		k = max(1, (2*n+calibEvery)/(2*calibEvery)) // round half up, in integers
		k = min(k, n)                               // calibEvery 1: one before every case
		before = make([]bool, n)
		for seg := 0; seg < k; seg++ {
			lo, hi := seg*n/k, (seg+1)*n/k
			before[lo+int(uintn(src, uint64(hi-lo)))] = true
		}
	}
	plan := make([]Screen, 0, n+k)
	calib := 0
	for i, id := range ids {
		if before != nil && before[i] {
			calib++
			plan = append(plan, Screen{Index: len(plan), Kind: KindCalibration, DicomID: CalibrationID(sessionID, calib)})
		}
		plan = append(plan, Screen{Index: len(plan), Kind: KindCase, DicomID: id})
	}
	return plan
}

// uintn returns a uniform integer in [0, n), n > 0, by Lemire's multiply-and-reject method.
func uintn(src *rand.PCG, n uint64) uint64 {
	hi, lo := bits.Mul64(src.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(src.Uint64(), n)
		}
	}
	return hi
}
