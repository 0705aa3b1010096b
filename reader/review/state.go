package review

import (
	"cmp"
	"slices"

	"sightline/reader/study"
)

// The current state is derived from the rows, never stored: these functions fold a log
// (in revision order, as the store returns it) into it.

// CurrentBoxes is the latest accepted row (edit or adjudication) per box: conflicts do not
// change a box until adjudicated.
func CurrentBoxes(log []BoxEdit) map[BoxKey]BoxEdit {
	cur := map[BoxKey]BoxEdit{}
	for _, e := range log {
		if e.Kind != KindConflict {
			cur[e.Key] = e
		}
	}
	return cur
}

// Conflict is a box with edits that were based on an outdated revision and not yet settled.
type Conflict struct {
	Key     BoxKey
	Current BoxEdit   // the box as it stands
	Rivals  []BoxEdit // the open conflicting edits, oldest first
}

// Conflicts lists the boxes with open conflicts, in the order of their first open conflict.
func Conflicts(log []BoxEdit) []Conflict {
	byKey := map[BoxKey][]BoxEdit{}
	var order []BoxKey
	for _, e := range log {
		if _, seen := byKey[e.Key]; !seen {
			order = append(order, e.Key)
		}
		byKey[e.Key] = append(byKey[e.Key], e)
	}
	var out []Conflict
	for _, k := range order {
		if c, ok := conflictOf(byKey[k]); ok {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b Conflict) int { return cmp.Compare(a.Rivals[0].Rev, b.Rivals[0].Rev) })
	return out
}

// conflictOf is the open conflict of one box's log, if any: conflict rows above the highest
// revision an adjudication settled.
func conflictOf(log []BoxEdit) (Conflict, bool) {
	var c Conflict
	var settled int64
	for _, e := range log {
		c.Key = e.Key
		if e.Kind == KindAdjudication {
			settled = max(settled, e.Resolves)
		}
		if e.Kind != KindConflict {
			c.Current = e
		}
	}
	for _, e := range log {
		if e.Kind == KindConflict && e.Rev > settled {
			c.Rivals = append(c.Rivals, e)
		}
	}
	return c, len(c.Rivals) > 0
}

// Replay applies the accepted rows of log, in order, to the study's original boxes and
// returns the boxes as they now stand, per dicom_id: the original boxes in file order (those
// marked absent left out), then zones added by edits in name order. Images that log names
// and original does not are included.
func Replay(original map[string][]study.Box, log []BoxEdit) map[string][]study.Box {
	cur := CurrentBoxes(log)
	out := make(map[string][]study.Box, len(original))
	for id, boxes := range original {
		kept := make([]study.Box, 0, len(boxes))
		for _, b := range boxes {
			e, ok := cur[BoxKey{id, b.Name}]
			switch {
			case !ok:
				kept = append(kept, b)
			case e.After.HasCoords():
				kept = append(kept, study.Box{Name: b.Name, X1: e.After.X1, X2: e.After.X2, Y1: e.After.Y1, Y2: e.After.Y2})
			}
		}
		out[id] = kept
	}
	var added []BoxKey
	for k, e := range cur {
		if !e.After.HasCoords() || slices.ContainsFunc(original[k.DicomID], func(b study.Box) bool { return b.Name == k.Zone }) {
			continue
		}
		added = append(added, k)
	}
	slices.SortFunc(added, func(a, b BoxKey) int { return cmp.Or(cmp.Compare(a.DicomID, b.DicomID), cmp.Compare(a.Zone, b.Zone)) })
	for _, k := range added {
		a := cur[k].After
		out[k.DicomID] = append(out[k.DicomID], study.Box{Name: k.Zone, X1: a.X1, X2: a.X2, Y1: a.Y1, Y2: a.Y2})
	}
	return out
}

// CaseKey names a case of a session.
type CaseKey struct{ Session, Case string }

// LatestVerdicts is the current verdict per case; a case without one is not in the map.
func LatestVerdicts(rows []Verdict) map[CaseKey]Verdict {
	out := map[CaseKey]Verdict{}
	for _, v := range rows {
		out[CaseKey{v.Session, v.Case}] = v
	}
	return out
}

// ImageStatuses is the current status per image; an image without a row is not in the map
// and is Unreviewed.
func ImageStatuses(rows []ImageMark) map[string]ImageStatus {
	out := map[string]ImageStatus{}
	for _, m := range rows {
		out[m.DicomID] = m.Status
	}
	return out
}
