#!/usr/bin/env python3
"""Synthesise a dictation with libespeak-ng and report its word boundaries.

Usage: espeak_words.py VOICE WPM OUT.wav < TEXT

The library (not the CLI) reports a word event for every word with the audio position at which
the word's sound begins, in the same synchronous run that produces the samples; this is the
reference the alignment tests measure against. Prints one JSON object: {"rate": Hz, "words":
[{"pos": p, "begin": seconds}, ...]}, p the 1-based
character position the event names. espeak-ng speaks some short words together with the next
("in the") and gives them one event, and names a sentence's first word by the space before it:
the caller maps positions to words. Uses only ctypes and libespeak-ng.so.1 (package
libespeak-ng1, installed with espeak-ng).
"""
import ctypes, json, struct, sys, wave

class EVENT(ctypes.Structure):
    _fields_ = [("type", ctypes.c_int), ("unique_identifier", ctypes.c_uint),
                ("text_position", ctypes.c_int), ("length", ctypes.c_int),
                ("audio_position", ctypes.c_int), ("sample", ctypes.c_int),
                ("user_data", ctypes.c_void_p), ("id", ctypes.c_char * 8)]

WORD, LIST_TERMINATED = 1, 0
SYNCHRONOUS, POS_CHARACTER, CHARS_UTF8, RATE = 2, 1, 1, 1

def main():
    voice, wpm, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    text = sys.stdin.read()
    lib = ctypes.CDLL("libespeak-ng.so.1")
    rate = lib.espeak_Initialize(SYNCHRONOUS, 0, None, 0)
    if rate <= 0:
        sys.exit("espeak_Initialize failed")
    if lib.espeak_SetVoiceByName(voice.encode()) != 0:
        sys.exit("no voice " + voice)
    lib.espeak_SetParameter(RATE, wpm, 0)
    samples, words = [], []
    CB = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(EVENT))
    raw = text.encode("utf-8")

    def cb(wav, n, ev):
        if n > 0:
            samples.append(ctypes.string_at(wav, 2 * n))
        i = 0
        while ev[i].type != LIST_TERMINATED:
            e = ev[i]
            if e.type == WORD:
                words.append({"pos": e.text_position, "begin": e.audio_position / 1000.0})
            i += 1
        return 0
    keep = CB(cb)
    lib.espeak_SetSynthCallback(keep)
    buf = ctypes.create_string_buffer(raw)
    if lib.espeak_Synth(buf, len(raw) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None) != 0:
        sys.exit("espeak_Synth failed")
    lib.espeak_Synchronize()
    with wave.open(out, "wb") as w:
        w.setnchannels(1); w.setsampwidth(2); w.setframerate(rate)
        w.writeframes(b"".join(samples))
    json.dump({"rate": rate, "words": words}, sys.stdout)

main()
