#!/usr/bin/env bash
# Synthesizes roomgate's voice prompts once (espeak-ng + sox) into assets/prompts/*.wav:
# 16 kHz mono 16-bit PCM, the media plane's internal rate. The WAVs are committed; run this
# only to change the wording. Needs: apt-get install espeak-ng sox.
set -euo pipefail
cd "$(dirname "$0")/../assets/prompts"

say() { # name text
  espeak-ng -v en-us -s 150 -w "/tmp/rg-$1.wav" "$2"
  sox -q "/tmp/rg-$1.wav" -r 16000 -c 1 -b 16 "$1.wav" silence 1 0.02 0.5% reverse silence 1 0.02 0.5% reverse norm -3
  rm -f "/tmp/rg-$1.wav"
}

say welcome "Welcome to room gate. Please enter your meeting I D, followed by the pound key."
say enter_passcode "Please enter the meeting passcode, followed by the pound key."
say invalid_meeting "That meeting I D is not valid. Please try again."
say invalid_passcode "That passcode is not correct. Please try again."
say goodbye "Sorry, we could not connect your call. Goodbye."
say joining "Joining the meeting."
say main_session "You are in the main session."
say breakout_room "You are in breakout room"
say muted "You are muted."
say unmuted "You are unmuted."
say help_requested "The host has been asked to help."
say not_allowed "That is not allowed in this meeting."
say rooms_closing "Breakout rooms are closing. You will return to the main session in"
say seconds "seconds."
say meeting_ended "The meeting has ended. Goodbye."
say broadcast "Message from the host."
say keypad_menu "Press star one to mute or unmute. Star two to ask the host for help. Star three to return to the main session. Star four, then a room number and pound, to join a breakout room. Star five to hear which room you are in."
for n in zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen \
         fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy \
         eighty ninety hundred; do
  say "n_$n" "$n"
done
# A two-note chime for broadcasts and moves.
sox -q -n -r 16000 -c 1 -b 16 chime.wav synth 0.18 sine 880 synth 0.18 sine 1320 : \
  synth 0.25 sine 660 fade 0 0.25 0.1 vol 0.5 2>/dev/null || \
  sox -q -n -r 16000 -c 1 -b 16 chime.wav synth 0.4 sine 880 fade 0 0.4 0.15 vol 0.5
