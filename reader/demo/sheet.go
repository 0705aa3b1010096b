package demo

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"

	"sightline/reader/stage"
)

// MasterSheetHeader is the 59-column header of EGD-CXR's master_sheet.csv (PhysioNet egd-cxr
// 1.0.0), as quoted with the file's first rows in a public exploration of the data set; it
// agrees with the first columns docs/FORMATS.md §1 gives.
var MasterSheetHeader = []string{
	"dicom_id", "path", "study_id", "patient_id", "stay_id", "gender", "anchor_age",
	"image_top_pad", "image_bottom_pad", "image_left_pad", "image_right_pad",
	"dx1", "dx1_icd", "dx2", "dx2_icd", "dx3", "dx3_icd", "dx4", "dx4_icd", "dx5", "dx5_icd",
	"dx6", "dx6_icd", "dx7", "dx7_icd", "dx8", "dx8_icd", "dx9", "dx9_icd",
	"normal_reports", "Normal", "CHF", "pneumonia",
	"consolidation", "enlarged_cardiac_silhouette", "linear__patchy_atelectasis",
	"lobar__segmental_collapse", "not_otherwise_specified_opacity___pleural__parenchymal_opacity__",
	"pleural_effusion_or_thickening", "pulmonary_edema__hazy_opacity", "normal_anatomically",
	"elevated_hemidiaphragm", "hyperaeration", "vascular_redistribution",
	"atelectasis__chx", "cardiomegaly__chx", "consolidation__chx", "edema__chx",
	"enlarged_cardiomediastinum__chx", "fracture__chx", "lung_lesion__chx", "lung_opacity__chx",
	"no_finding__chx", "pleural_effusion__chx", "pleural_other__chx", "pneumonia__chx",
	"pneumothorax__chx", "support_devices__chx",
	"cxr_exam_indication",
}

// BoundingBoxesHeader is the header of EGD-CXR's bounding_boxes.csv (note x1,x2,y1,y2).
var BoundingBoxesHeader = []string{"dicom_id", "bbox_name", "x1", "x2", "y1", "y2"}

// diagnoses per condition: emergency department diagnoses as text and ICD code, in the style
// of the original sheet (which mixes ICD-9 and ICD-10 spellings).
var diagnoses = map[string][][2]string{
	"Normal": {
		{"Chest pain, unspecified", "R07.9"},
		{"SYNCOPE AND COLLAPSE", "780.2"},
		{"Cough", "R05"},
		{"Other chest pain", "R07.89"},
	},
	"CHF": {
		{"CONGESTIVE HEART FAILURE, UNSPEC", "428.0"},
		{"Heart failure, unspecified", "I50.9"},
		{"Hypertensive heart disease with heart failure", "I11.0"},
		{"CONGESTIVE HEART FAILURE, UNSPEC", "428.0"},
	},
	"pneumonia": {
		{"PNEUMONIA,ORGANISM UNSPECIFIED", "486"},
		{"Pneumonia, unspecified organism", "J18.9"},
		{"Lobar pneumonia, unspecified organism", "J18.1"},
		{"PNEUMONIA,ORGANISM UNSPECIFIED", "486"},
	},
}

// indications are the cxr_exam_indication texts, MIMIC style (___ for redacted words). Some
// hold commas and newlines on purpose: readers must honour CSV quoting.
var indications = map[string][]string{
	"Normal": {
		"___M with chest pain, r/o acute process",
		"Syncope.\nEvaluate for acute cardiopulmonary process.",
		"History: ___F with cough\nQuestion: pneumonia?",
		"Chest pain",
	},
	"CHF": {
		"___F with CHF and  shortness of breath// ?Pulmonary edema",
		"Dyspnea, lower extremity edema, \"fluid overload\"?",
		"History of myocardial infarction.  Shortness of breath.",
		"___M with worsening dyspnea on exertion\neval for effusion, edema",
	},
	"pneumonia": {
		"___M with fever, productive cough",
		"Cough and fever. Evaluate for pneumonia.",
		"___F with hypoxia\n?infiltrate",
		"Fever, leukocytosis, r/o PNA",
	},
}

// row builds the master sheet row of one case.
func sheetRow(s spec, c Case) []string {
	r := make(map[string]string, len(MasterSheetHeader))
	r["dicom_id"] = c.DicomID
	r["path"] = c.Path
	r["study_id"] = s.studyID
	r["patient_id"] = s.patientID
	r["stay_id"] = s.stayID
	r["gender"] = "M"
	if s.female {
		r["gender"] = "F"
	}
	// The published sheet gives anchor_age as a decade range ("20 - 30").
	decade := s.age / 10 * 10
	r["anchor_age"] = fmt.Sprintf("%d - %d", decade, decade+10)
	l := stage.Fit(c.Cols, c.Rows)
	r["image_top_pad"] = strconv.Itoa(l.Top)
	r["image_bottom_pad"] = strconv.Itoa(l.Bottom)
	r["image_left_pad"] = strconv.Itoa(l.Left)
	r["image_right_pad"] = strconv.Itoa(l.Right)
	v := s.variant % 4
	dx := diagnoses[s.cond][v]
	r["dx1"], r["dx1_icd"] = dx[0], dx[1]
	if s.cond == "CHF" && v == 0 {
		r["dx2"], r["dx2_icd"] = "HYPERTENSION NOS", "401.9"
	}
	for _, k := range []string{"normal_reports", "Normal", "CHF", "pneumonia",
		"consolidation", "enlarged_cardiac_silhouette", "linear__patchy_atelectasis",
		"lobar__segmental_collapse", "not_otherwise_specified_opacity___pleural__parenchymal_opacity__",
		"pleural_effusion_or_thickening", "pulmonary_edema__hazy_opacity", "normal_anatomically",
		"elevated_hemidiaphragm", "hyperaeration", "vascular_redistribution"} {
		r[k] = "0"
	}
	r[s.cond] = "1"
	switch s.cond {
	case "Normal":
		r["normal_reports"] = "1"
		r["normal_anatomically"] = "1"
		r["no_finding__chx"] = "1"
	case "CHF":
		r["enlarged_cardiac_silhouette"] = "1"
		r["pulmonary_edema__hazy_opacity"] = "1"
		r["vascular_redistribution"] = "1"
		r["cardiomegaly__chx"] = "1"
		r["edema__chx"] = "1"
		r["lung_opacity__chx"] = "1"
		if s.variant%2 == 0 { // the cases drawn with effusions
			r["pleural_effusion_or_thickening"] = "1"
			r["pleural_effusion__chx"] = "1"
		} else {
			r["pleural_effusion__chx"] = "-1"
		}
	case "pneumonia":
		r["consolidation"] = "1"
		r["consolidation__chx"] = "1"
		r["lung_opacity__chx"] = "1"
		r["pneumonia__chx"] = "1"
		if v == 3 {
			r["pneumonia__chx"] = "-1"
		}
		r["pleural_effusion__chx"] = "0"
	}
	r["cxr_exam_indication"] = indications[s.cond][v]
	out := make([]string, len(MasterSheetHeader))
	for i, k := range MasterSheetHeader {
		out[i] = r[k]
	}
	return out
}

func writeCSV(path string, header []string, rows [][]string) error {
	err := writeAtomic(path, func(f io.Writer) error {
		w := csv.NewWriter(f)
		if err := w.Write(header); err != nil {
			return err
		}
		if err := w.WriteAll(rows); err != nil {
			return err
		}
		return w.Error()
	})
	if err != nil {
		return fmt.Errorf("demo: write %s: %w", filepath.Base(path), err)
	}
	return nil
}

func writeMasterSheet(dir string, specs []spec, cases []Case) error {
	rows := make([][]string, len(cases))
	for i := range cases {
		rows[i] = sheetRow(specs[i], cases[i])
	}
	return writeCSV(filepath.Join(dir, MasterSheet), MasterSheetHeader, rows)
}

// writeBoxes writes bounding_boxes.csv: per case, its boxes sorted by name as in EGD-CXR.
func writeBoxes(dir string, cases []Case) error {
	var rows [][]string
	f := func(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
	for _, c := range cases {
		bs := slices.Clone(c.Boxes)
		slices.SortFunc(bs, func(a, b Box) int { return cmp.Compare(a.Name, b.Name) })
		for _, b := range bs {
			rows = append(rows, []string{c.DicomID, b.Name, f(b.X1), f(b.X2), f(b.Y1), f(b.Y2)})
		}
	}
	return writeCSV(filepath.Join(dir, BoundingBoxes), BoundingBoxesHeader, rows)
}
