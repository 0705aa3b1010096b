package qavideo

import (
	"fmt"
	"path/filepath"
)

// Line is a written case's video as the console says it: its file, its length, and what the
// viewer should know (a silent track and why, the audio's and the image's notes).
func (v CaseVideo) Line() string {
	line := fmt.Sprintf("%s: %.1f s", filepath.Base(v.Path), v.Duration.Seconds())
	if v.Silent != "" {
		line += ", silent: " + v.Silent
	} else if v.AudioNote != "" {
		line += "; " + v.AudioNote
	}
	if v.ImageNote != "" {
		line += "; " + v.ImageNote
	}
	return line
}
