# deskchat build infrastructure. Targets assume Debian/Ubuntu for system deps.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c

GO ?= go
# fyne.Do is used for every update from a goroutine (FyneApp.toml [Migrations] fyneDo = true);
# `fyne build` sets this tag from that file, plain `go build` needs it spelled out.
# no_animations: Fyne's animations off. The composer's blinking cursor alone
# repainted the whole window 30 times a second, for ever (idle_cpu_pct 16 under
# Xvfb); the cursor is steady instead.
TAGS := migrated_fynedo,no_animations
export GOFLAGS := $(strip $(GOFLAGS) -tags=$(TAGS))
BIN ?= deskchat
ARGS ?=

BUILD_PKGS := gcc libc6-dev pkg-config libgl1-mesa-dev libx11-dev libxcursor-dev \
	libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
# fonts-noto-cjk: the CJK screenshots and TestTheSystemCJKFontKeepsItsWeights need a CJK font;
# chromium: TestChromiumOpensAnExportWithoutARequest opens an HTML export.
TEST_PKGS := xvfb xauth imagemagick xdotool x11-utils libgl1-mesa-dri fonts-noto-cjk chromium

.PHONY: all deps-build deps-test e2e-deps build run test vet lint smoke docs-shots bench bench-window package fuzz stress icon clean

all: build

deps-build:
	bash scripts/apt-ensure.sh $(BUILD_PKGS)

deps-test:
	bash scripts/apt-ensure.sh $(BUILD_PKGS) $(TEST_PKGS)

# deskchat --version: what git says of the tree (tag, commits since, -dirty)
# and the full commit; outside a git checkout both stay empty and deskchat
# reads Go's build information instead (cli/version.go).
VERSION := $(shell git describe --always --dirty 2>/dev/null)
COMMIT := $(shell git rev-parse HEAD 2>/dev/null)
build: deps-build
	$(GO) build -ldflags "-X main.version=$(VERSION) -X main.commit=$(COMMIT)" -o $(BIN) .

run: build
	./$(BIN) $(ARGS)

vet:
	$(GO) vet ./...

# go vet, staticcheck (checks chosen in staticcheck.conf; the tool pinned,
# installed from the Go module proxy into .bin/) and the size limits: no
# non-test file over 900 lines, no function over 120 (scripts/limits).
# Known findings waiting for other work: scripts/lint-known.txt and
# scripts/limits/allow.txt, each entry with its reason.
lint:
	SHOTS_TAGS=$(TAGS),screenshots bash scripts/lint.sh

test: deps-test e2e-deps
	$(GO) mod download
	$(MAKE) lint
	# -timeout 30m: ui's race tests take about 3 minutes alone, near 10 (go test's
	# default) on a machine busy with other builds.
	DESKCHAT_E2E=1 $(GO) test -race -count=1 -timeout 30m $$($(GO) list ./... | grep -v '/internal/crashtest$$')
	# The crash test checks a real-time promise (a kill loses at most the
	# last 250 ms of an answer): run alone, not beside packages whose tests
	# fill the disk and delay its fsyncs.
	$(GO) test -race -count=1 ./internal/crashtest/
	$(MAKE) smoke

# The independent servers of the end-to-end tests, versions pinned in
# e2e/package-lock.json: the OpenAI-compatible @copilotkit/aimock and the
# reference MCP server @modelcontextprotocol/server-everything (over stdio,
# e2e/tools_test.go).
e2e-deps:
	command -v npm >/dev/null 2>&1 || bash scripts/apt-ensure.sh nodejs npm
	npm ci --prefix e2e --no-audit --no-fund

# Real windows under Xvfb, saved in screenshots/: the first run (welcome
# dialog); a chat seeded through the CLI (markdown blocks, code, table) in
# the light and the dark theme; a chat full of remote images, scrolled, whose
# image host must count 0 requests (scripts/images-window.sh); a chat holding a
# 50,000-line unclosed code fence (scripts/gen-hostile, shown in part); Chinese, Japanese and
# Korean markdown (light) and a table with highlighted code (dark) (scripts/cjk-window.sh);
# and, from a build with the screenshots tag
# (ui/scene.go), the settings dialog, a message in each engine state (light
# and dark), the keyboard shortcuts, three answers compared side by side, the
# usage window, a 10,000-message chat and search results; a few chats of the
# last days, one open with a question pointed at (chats-light, chats-dark),
# a new chat offering recent and example prompts (newchat-light,
# newchat-dark), a question with a photo and a PDF and two files waiting
# above the composer (attach-light, attach-dark), and which models take
# images in a provider's settings (vision), and the batch window on a run in
# progress (batch, batch-dark).
SHOTS_BIN ?= deskchat-shots
SHOT_PROVIDERS := providers add OpenAI --kind openai --base-url https://api.openai.com/v1 --model gpt-4o-mini --key-source env --key-env OPENAI_API_KEY; \
	providers add Ollama --kind compatible --base-url http://localhost:11434/v1 --model llama3.2; providers default OpenAI
smoke: build
	$(GO) build -tags $(TAGS),screenshots -o $(SHOTS_BIN) .
	DESKCHAT_BIN=./$(BIN) SMOKE_OUT=screenshots/smoke.png bash scripts/smoke.sh
	DESKCHAT_BIN=./$(BIN) SMOKE_OUT=screenshots/smoke-chat.png FYNE_THEME=light SMOKE_VIA_WINDOW=1 \
		SMOKE_SEED="How do Go channels work?" bash scripts/smoke.sh
	DESKCHAT_BIN=./$(BIN) SMOKE_OUT=screenshots/smoke-chat-dark.png FYNE_THEME=dark \
		SMOKE_SEED="How do Go channels work?" bash scripts/smoke.sh
	DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/settings.png FYNE_THEME=light DESKCHAT_SCENE=settings \
		SMOKE_SETUP="$(SHOT_PROVIDERS)" bash scripts/smoke.sh
	DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/states.png FYNE_THEME=light DESKCHAT_SCENE=states \
		SMOKE_SETUP="$(SHOT_PROVIDERS)" bash scripts/smoke.sh
	DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/states-dark.png FYNE_THEME=dark DESKCHAT_SCENE=states-end \
		SMOKE_SETUP="$(SHOT_PROVIDERS)" bash scripts/smoke.sh
	DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/shortcuts.png FYNE_THEME=dark DESKCHAT_SCENE=shortcuts \
		SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh
	DESKCHAT_BIN=./$(BIN) IMAGES_OUT=screenshots/images.png FYNE_THEME=light bash scripts/images-window.sh
	DESKCHAT_BIN=./$(BIN) SMOKE_OUT=screenshots/hostile.png FYNE_THEME=light \
		SMOKE_PREPARE='$(GO) run ./scripts/gen-hostile -dir "$$SMOKE_DATA_DIR" -only fence50k' bash scripts/smoke.sh
	DESKCHAT_BIN=./$(BIN) CJK_SHOTS="text:light code:dark" bash scripts/cjk-window.sh
	for scene in compare long search; do \
		DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/$$scene.png FYNE_THEME=light DESKCHAT_SCENE=$$scene \
			SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh || exit 1; \
	done
	# The usage window opens a second after the main one: wait for it by name.
	DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/usage.png FYNE_THEME=light DESKCHAT_SCENE=usage \
		SMOKE_WINDOW_NAME='^Usage' SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh
	# So does the batch window, on a run in progress.
	DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/batch.png FYNE_THEME=light DESKCHAT_SCENE=batch \
		SMOKE_WINDOW_NAME='^Batch' SMOKE_SETUP="$(SHOT_PROVIDERS)" bash scripts/smoke.sh
	DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/batch-dark.png FYNE_THEME=dark DESKCHAT_SCENE=batch \
		SMOKE_WINDOW_NAME='^Batch' SMOKE_SETUP="$(SHOT_PROVIDERS)" bash scripts/smoke.sh
	for theme in light dark; do \
		DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/chats-$$theme.png FYNE_THEME=$$theme DESKCHAT_SCENE=chats \
			SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh || exit 1; \
		DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/newchat-$$theme.png FYNE_THEME=$$theme DESKCHAT_SCENE=newchat \
			SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh || exit 1; \
		DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/attach-$$theme.png FYNE_THEME=$$theme DESKCHAT_SCENE=attach \
			SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh || exit 1; \
		DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/math-$$theme.png FYNE_THEME=$$theme DESKCHAT_SCENE=math \
			SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh || exit 1; \
		DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/tools-$$theme.png FYNE_THEME=$$theme DESKCHAT_SCENE=tools \
			SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh || exit 1; \
		DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/branches-$$theme.png FYNE_THEME=$$theme DESKCHAT_SCENE=branches \
			SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh || exit 1; \
	done
	DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/vision.png FYNE_THEME=light DESKCHAT_SCENE=vision \
		SMOKE_SETUP="$(SHOT_PROVIDERS)" bash scripts/smoke.sh
	DESKCHAT_BIN=./$(SHOTS_BIN) SMOKE_OUT=screenshots/toolsettings.png FYNE_THEME=light DESKCHAT_SCENE=toolsettings \
		SMOKE_SETUP="providers default Simulator" bash scripts/smoke.sh

# The screenshots the README shows, refreshed from a smoke run.
DOC_SHOTS := chats-light.png chats-dark.png newchat-light.png states.png settings.png compare.png usage.png batch.png search.png attach-light.png math-light.png toolsettings.png branches-light.png
docs-shots: smoke
	mkdir -p docs/screenshots
	for f in $(DOC_SHOTS); do cp screenshots/$$f docs/screenshots/$$f; done

# The Go benchmarks (among them resize_long_answer_ms beside its floor
# resize_short_answer_ms, ui/resize_bench_test.go, and cli_via_window_list_ms_p95
# beside cli_version_ms_p95 and cli_via_window_ask_added_ms, the real binary's
# commands through a serving process, remote/e2e_test.go), then the window's figures
# under Xvfb. Like make test, it installs what it needs first, so that it
# works on a fresh machine.
bench: deps-test e2e-deps
	$(GO) mod download
	bash scripts/bench.sh
	$(MAKE) bench-window

# The window's figures on the real binary under Xvfb, with a generated
# 100,000-message history (scripts/gen-history): startup_ms_100k,
# rss_growth_mb_100k, idle_cpu_pct (scripts/bench-window.sh); then a long
# session, 300 questions in one chat: soak_rss_growth_mb_300,
# soak_heap_growth_mb_300, soak_cpu_s_per_50_first/last (scripts/soak-window.sh).
bench-window: deps-test build
	DESKCHAT_BIN=./$(BIN) bash scripts/bench-window.sh
	DESKCHAT_BIN=./$(BIN) bash scripts/hostile-window.sh
	DESKCHAT_BIN=./$(BIN) bash scripts/soak-window.sh

# dist/deskchat (stripped) and dist/deskchat.tar.xz (`fyne package -os linux`:
# binary, .desktop file, icon, Makefile with install and user-install),
# checked by installing it into a temporary HOME and DESTDIR. The fyne tool
# comes from the Go module proxy into .bin/.
package: deps-build
	bash scripts/apt-ensure.sh xz-utils
	bash scripts/package.sh

# Every fuzz target for FUZZTIME each (make test runs their seed corpora).
# Each entry is PACKAGE:TARGET.
FUZZTIME ?= 30s
FUZZ_TARGETS := $(addprefix ./store/transfer:,FuzzImportChatGPT FuzzChatGPTTree FuzzImportClaude FuzzImportDeskchat FuzzExportHTML FuzzExportMarkdown FuzzScan FuzzCompact) \
	./store:FuzzDamage ./internal/redact:FuzzString ./attach:FuzzRead \
	./ui/internal/markdown:FuzzFindMath ./ui/internal/mathtex:FuzzRender \
	./engine/openai:FuzzLineSplitter ./engine/openai:FuzzToolAssembler
fuzz:
	for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; f=$${t##*:}; \
		$(GO) test -run '^$$' -fuzz "^$$f\$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	done

# The crash test at length: deskchat killed with SIGKILL mid-answer 500 times
# (make test does it 50 times).
stress:
	DESKCHAT_CRASH_ITERATIONS=500 $(GO) test -count=1 -timeout 60m -v -run . ./internal/crashtest/

# Regenerate assets/icon.png (checked in; only needed when the design changes).
icon:
	$(GO) run ./scripts/genicon -o assets/icon.png

clean:
	rm -f $(BIN) bench.out *.test
	rm -rf screenshots dist
