package metrics

import (
	"math"
	"slices"
	"strconv"
)

// AgreementHeader is agreement.csv's header (docs/FORMATS.md §12).
var AgreementHeader = []string{"dicom_id", "reader_a", "reader_b", "fixations_a", "fixations_b", "cc", "sim", "kld", "nss", "auc_judd"}

// agreementRows compares the fixation maps of every ordered pair of readers of an image read by
// two or more. A reader's fixations on the image (every session of theirs pooled, off-image
// ones left out) make a binary fixation map on a grid of a third of cfg.SigmaDeg, and a density
// map: the fixation counts blurred by a Gaussian of cfg.SigmaDeg. Reader a's density map is
// the saliency map P; reader b's density is Q^D (CC, SIM, KLD) and b's fixation map Q^B (NSS,
// AUC-Judd). CC and SIM are symmetric; the two rows of a pair differ in KLD, NSS and AUC-Judd.
func agreementRows(cfg Config, im *image) [][]string {
	byReader := map[string][]fixation{}
	var readers []string
	for _, sc := range im.screens {
		if _, ok := byReader[sc.Reader]; !ok {
			readers = append(readers, sc.Reader)
		}
		byReader[sc.Reader] = append(byReader[sc.Reader], sc.Fixations...)
	}
	if len(readers) < 2 || !im.geom.ok {
		return nil
	}
	slices.Sort(readers)
	sx, sy := im.geom.radii(cfg, cfg.SigmaDeg)
	// Three cells a sigma: fine enough for the blur, coarse enough to be quick.
	cx, cy := sx/3, sy/3
	w := max(1, int(math.Ceil(im.geom.W/cx)))
	h := max(1, int(math.Ceil(im.geom.H/cy)))
	type maps struct {
		fix, dens *Map
		sorted    []float64 // dens's values, sorted up
		n         int
	}
	m := map[string]maps{}
	for _, r := range readers {
		fix := NewMap(w, h)
		n := 0
		for _, f := range byReader[r] {
			if f.X < 0 || f.Y < 0 || float64(f.X) >= im.geom.W || float64(f.Y) >= im.geom.H {
				continue
			}
			fix.V[int(float64(f.Y)/cy)*w+int(float64(f.X)/cx)]++
			n++
		}
		dens := blur(fix, 3)
		for i, v := range fix.V {
			if v > 0 {
				fix.V[i] = 1
			}
		}
		sorted := slices.Clone(dens.V)
		slices.Sort(sorted)
		m[r] = maps{fix, dens, sorted, n}
	}
	var out [][]string
	for _, a := range readers {
		for _, b := range readers {
			if a == b {
				continue
			}
			p, q := m[a], m[b]
			out = append(out, []string{im.c.DicomID, a, b, strconv.Itoa(p.n), strconv.Itoa(q.n),
				num(CC(p.dens, q.dens)), num(SIM(p.dens, q.dens)), num(KLD(p.dens, q.dens)),
				num(NSS(p.dens, q.fix)), num(aucJudd(p.dens, p.sorted, q.fix))})
		}
	}
	return out
}
