package metrics

import "strconv"

// AgreementHeader is agreement.csv's header (docs/FORMATS.md §12).
var AgreementHeader = []string{"dicom_id", "reader_a", "reader_b", "fixations_a", "fixations_b", "cc", "sim", "kld", "nss", "auc_judd"}

// agreementRows compares the fixation maps of every ordered pair of readers of an image read by
// two or more (Agreement). A reader's fixations on the image (every session of theirs pooled,
// off-image ones left out) make a binary fixation map on a grid of a third of cfg.SigmaDeg, and
// a density map: the fixation counts blurred by a Gaussian of cfg.SigmaDeg. Reader a's density
// map is the saliency map P; reader b's density is Q^D (CC, SIM, KLD) and b's fixation map Q^B
// (NSS, AUC-Judd). CC and SIM are symmetric; the two rows of a pair differ in KLD, NSS and
// AUC-Judd.
func agreementRows(cfg Config, im *image) [][]string {
	if !im.geom.ok {
		return nil
	}
	byReader := map[string][]Point{}
	for _, sc := range im.screens {
		for _, f := range sc.Fixations {
			byReader[sc.Reader] = append(byReader[sc.Reader], Point{f.X, f.Y})
		}
	}
	sx, sy := im.geom.radii(cfg, cfg.SigmaDeg)
	var out [][]string
	for _, p := range Agreement(im.geom.W, im.geom.H, sx, sy, byReader) {
		out = append(out, []string{im.c.DicomID, p.ReaderA, p.ReaderB, strconv.Itoa(p.FixationsA), strconv.Itoa(p.FixationsB),
			num(p.CC), num(p.SIM), num(p.KLD), num(p.NSS), num(p.AUCJudd)})
	}
	return out
}
