package gazesim

import (
	"strconv"

	"sightline/tracker/opengaze"
)

// group is one ENABLE_SEND_* field group. The groups are listed, and their fields written,
// in the order of a real GP3 record (docs/FORMATS.md §4 and the API document's enable list, which
// agree): CNT TIME TIME_TICK FPOG* LPOG* RPOG* BPOG* … USER last.
type group int

const (
	gCounter group = iota
	gTime
	gTimeTick
	gPOGFix
	gPOGLeft
	gPOGRight
	gPOGBest
	gPOGAAC
	gPupilLeft
	gPupilRight
	gEyeLeft
	gEyeRight
	gCursor
	gKB
	gBlink
	gPupilMM
	gDial
	gGSR
	gHR
	gHRPulse
	gHRIBI
	gTTL
	gPix
	gUserData
	numGroups
)

// groupIDs are the ENABLE_SEND_* ids, by group.
var groupIDs = [numGroups]string{
	"ENABLE_SEND_COUNTER", "ENABLE_SEND_TIME", "ENABLE_SEND_TIME_TICK", "ENABLE_SEND_POG_FIX",
	"ENABLE_SEND_POG_LEFT", "ENABLE_SEND_POG_RIGHT", "ENABLE_SEND_POG_BEST", "ENABLE_SEND_POG_AAC",
	"ENABLE_SEND_PUPIL_LEFT", "ENABLE_SEND_PUPIL_RIGHT", "ENABLE_SEND_EYE_LEFT", "ENABLE_SEND_EYE_RIGHT",
	"ENABLE_SEND_CURSOR", "ENABLE_SEND_KB", "ENABLE_SEND_BLINK", "ENABLE_SEND_PUPILMM",
	"ENABLE_SEND_DIAL", "ENABLE_SEND_GSR", "ENABLE_SEND_HR", "ENABLE_SEND_HR_PULSE",
	"ENABLE_SEND_HR_IBI", "ENABLE_SEND_TTL", "ENABLE_SEND_PIX", "ENABLE_SEND_USER_DATA",
}

// groupFields are the REC attributes each group adds, in order.
var groupFields = [numGroups][]string{
	gCounter:    {"CNT"},
	gTime:       {"TIME"},
	gTimeTick:   {"TIME_TICK"},
	gPOGFix:     {"FPOGX", "FPOGY", "FPOGS", "FPOGD", "FPOGID", "FPOGV"},
	gPOGLeft:    {"LPOGX", "LPOGY", "LPOGV"},
	gPOGRight:   {"RPOGX", "RPOGY", "RPOGV"},
	gPOGBest:    {"BPOGX", "BPOGY", "BPOGV"},
	gPOGAAC:     {"APOGX", "APOGY", "APOGV"},
	gPupilLeft:  {"LPCX", "LPCY", "LPD", "LPS", "LPV"},
	gPupilRight: {"RPCX", "RPCY", "RPD", "RPS", "RPV"},
	gEyeLeft:    {"LEYEX", "LEYEY", "LEYEZ", "LPUPILD", "LPUPILV"},
	gEyeRight:   {"REYEX", "REYEY", "REYEZ", "RPUPILD", "RPUPILV"},
	gCursor:     {"CX", "CY", "CS"},
	gKB:         {"KB", "KBS"},
	gBlink:      {"BKID", "BKDUR", "BKPMIN"},
	gPupilMM:    {"LPMM", "LPMMV", "RPMM", "RPMMV"},
	gDial:       {"DIAL", "DIALV"},
	gGSR:        {"GSR", "GSRV"},
	gHR:         {"HR", "HRV"},
	gHRPulse:    {"HRP"},
	gHRIBI:      {"HRIBI"},
	gTTL:        {"TTL0", "TTL1", "TTLV"},
	gPix:        {"PIXX", "PIXY", "PIXS", "PIXV"},
	gUserData:   {"USER"},
}

func groupOf(id string) (group, bool) {
	for g, name := range groupIDs {
		if name == id {
			return group(g), true
		}
	}
	return 0, false
}

// f4 is a calibration point's CALX/CALY in CALIB_START_PT and CALIB_RESULT_PT: a real GP3
// writes 4 decimals there (and 5 in CALIB_RESULT): tracker/opengaze/testdata/gp3_cal_2017.txt.
func f4(v float64) string {
	s := strconv.FormatFloat(v, 'f', 4, 64)
	if s == "-0.0000" {
		return "0.0000"
	}
	return s
}

// f5 formats like the device: five decimals, never "-0.00000".
func f5(v float64) string {
	s := strconv.FormatFloat(v, 'f', 5, 64)
	if s == "-0.00000" {
		return "0.00000"
	}
	return s
}

// fU formats a time in units of 10 µs with five decimals, exactly.
func fU(u int64) string {
	neg := u < 0
	if neg {
		u = -u
	}
	s := strconv.FormatInt(u/timeUnit, 10) + "." + strconv.FormatInt(timeUnit+u%timeUnit, 10)[1:]
	if neg {
		s = "-" + s
	}
	return s
}

func b01(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

// formatNum writes a configuration number the way the API document shows them: "1.25", "60".
func formatNum(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// appendREC appends the REC message for r with the enabled groups' fields.
func appendREC(dst []byte, r *rec, en *[numGroups]bool, user string) []byte {
	attrs := make([]opengaze.Attr, 0, 64)
	add := func(name, v string) { attrs = append(attrs, opengaze.Attr{Name: name, Value: v}) }
	for g := range numGroups {
		if !en[g] {
			continue
		}
		switch g {
		case gCounter:
			add("CNT", itoa(r.cnt))
		case gTime:
			add("TIME", fU(r.timeU))
		case gTimeTick:
			add("TIME_TICK", itoa(r.tick))
		case gPOGFix:
			add("FPOGX", f5(r.fx))
			add("FPOGY", f5(r.fy))
			add("FPOGS", fU(r.fsU))
			add("FPOGD", fU(r.fdU))
			add("FPOGID", itoa(r.fid))
			add("FPOGV", b01(r.fv))
		case gPOGLeft:
			add("LPOGX", f5(r.lx))
			add("LPOGY", f5(r.ly))
			add("LPOGV", b01(r.lv))
		case gPOGRight:
			add("RPOGX", f5(r.rx))
			add("RPOGY", f5(r.ry))
			add("RPOGV", b01(r.rv))
		case gPOGBest:
			add("BPOGX", f5(r.bx))
			add("BPOGY", f5(r.by))
			add("BPOGV", b01(r.bv))
		case gPOGAAC:
			add("APOGX", f5(r.ax))
			add("APOGY", f5(r.ay))
			add("APOGV", b01(r.av))
		case gPupilLeft:
			add("LPCX", f5(r.lpcx))
			add("LPCY", f5(r.lpcy))
			add("LPD", f5(r.lpd))
			add("LPS", f5(r.lps))
			add("LPV", b01(r.eyesV))
		case gPupilRight:
			add("RPCX", f5(r.rpcx))
			add("RPCY", f5(r.rpcy))
			add("RPD", f5(r.rpd))
			add("RPS", f5(r.rps))
			add("RPV", b01(r.eyesV))
		case gEyeLeft:
			add("LEYEX", f5(r.leye[0]))
			add("LEYEY", f5(r.leye[1]))
			add("LEYEZ", f5(r.leye[2]))
			add("LPUPILD", f5(r.lpupil))
			add("LPUPILV", b01(r.eyesV))
		case gEyeRight:
			add("REYEX", f5(r.reye[0]))
			add("REYEY", f5(r.reye[1]))
			add("REYEZ", f5(r.reye[2]))
			add("RPUPILD", f5(r.rpupil))
			add("RPUPILV", b01(r.eyesV))
		case gCursor:
			// The reading station hides the pointer; it rests at the stage centre.
			add("CX", f5(0.5))
			add("CY", f5(0.5))
			add("CS", "0")
		case gKB:
			add("KB", " ") // an idle keyboard (API §5.14)
			add("KBS", "0")
		case gBlink:
			add("BKID", itoa(r.bkid))
			add("BKDUR", fU(r.bkdurU))
			add("BKPMIN", itoa(r.bkpmin))
		case gPupilMM:
			add("LPMM", f5(r.lmm))
			add("LPMMV", b01(r.eyesV))
			add("RPMM", f5(r.rmm))
			add("RPMMV", b01(r.eyesV))
		// No biometrics kit is attached: its fields are present and invalid, as a GP3 sends them.
		case gDial:
			add("DIAL", f5(0))
			add("DIALV", "0")
		case gGSR:
			add("GSR", "0")
			add("GSRV", "0")
		case gHR:
			add("HR", f5(0))
			add("HRV", "0")
		case gHRPulse:
			add("HRP", "0")
		case gHRIBI:
			add("HRIBI", f5(0))
		case gTTL:
			add("TTL0", "-1")
			add("TTL1", "-1")
			add("TTLV", "0")
		case gPix:
			add("PIXX", f5(0))
			add("PIXY", f5(0))
			add("PIXS", f5(0))
			add("PIXV", "0")
		case gUserData:
			add("USER", user)
		}
	}
	return opengaze.AppendMessage(dst, opengaze.Message{Tag: "REC", Attrs: attrs})
}
