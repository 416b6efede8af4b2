package transfer

// Internal helpers the external tests (package exchange_test) use.
var WriteChatGPT = writeChatGPT

// RaceEnabled: the race detector is on (tests read smaller files).
const RaceEnabled = raceEnabled
