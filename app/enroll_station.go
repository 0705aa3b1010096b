package app

import (
	"sightline/reader/audio"
	"sightline/reader/enroll"
	"sightline/reader/transcribe"
	"sightline/ui"
)

// enrollInStation opens reader's enrollment in studyDir (enroll.Open) for the enrollment
// screen; its quit is the station's too.
func enrollInStation(o *Options, studyDir, reader string, back func()) (ui.EnrollCommands, error) {
	s, err := enroll.Open(studyDir, reader, audio.Config{Device: o.Audio, Backend: o.AudioBackend}, o.audioSet, o.Err)
	if err != nil {
		return ui.EnrollCommands{}, err
	}
	atQuit(s.Close)
	l := s.Lines()
	return ui.EnrollCommands{
		Reader: reader, Script: enroll.Script(), MinLines: transcribe.MinEnrollRecordings,
		Recorded: l.Recorded, Start: l.Start, Stop: l.Stop, Cancel: l.Drop, Level: l.Level, Adapt: s.Adapt,
		Close: func() { s.Close(); back() },
	}, nil
}
