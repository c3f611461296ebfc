set -eu

# ---- 1. Memory note (memory-core searchable) ----------------
DIR=/workspace/memory/projects/openclaw-runtime
mkdir -p "$DIR"
cat > "$DIR/devvm-fallback.md" <<'NOTE_EOF'
# The learning loop — applies to EVERY task

**The flow: know → ask devvm → (rarely) try yourself. Then
save what you learned, always.** This is not optional and
not specific to any domain — it's how you compound. Every
task that ends with a saved recipe makes future-you
stronger. Every task that doesn't is a wasted lesson.

## The flow

1. **Know?** `memory_recall "<topic>"` and check
   `/workspace/memory/projects/openclaw-learned/INDEX.md`.
   If yes, use it.
2. **Don't know?** Default to `ssh devvm` and ask claude.
   Don't brute-force. Most tasks are solvable there.
3. **Devvm can't either?** (rare) Try in-pod, be honest
   about the risk, save anything you discover.

## The save (mandatory, every non-trivial task)

After ANY task — calendar, container debugging, vault
lookup, posting to Slack, parsing a log, whatever — pause
and save the recipe to
`/workspace/memory/projects/openclaw-learned/`:

- Script  → scripts/<task>.md
- Knowledge → knowledge/<topic>.md
- Credential → credentials/<name>.md  **Vault pointer
  only, never the value**

Update INDEX.md so the next session sees it.

## SSH cheatsheet

    ssh devvm 'vault kv get -field=KEY secret/PATH'
    ssh devvm 'claude -p "your prompt"'

    # async (>2 min) — survives pod restart
    ssh devvm openclaw-task new <id> "<command>"
    ssh devvm openclaw-task capture / log / status / kill
NOTE_EOF
chown -R 1000:1000 "$DIR"

# ---- 2. SOUL.md identity-level rule -------------------------
SOUL=/workspace/SOUL.md
if [ -f "$SOUL" ]; then
  awk '
    $0 == "<!-- BEGIN openclaw-learning-soul v1 -->" { skip=1; next }
    $0 == "<!-- END openclaw-learning-soul v1 -->"   { skip=0; next }
    !skip { print }
  ' "$SOUL" > "$SOUL.tmp"

  # Insert before "## Boundaries" if present, else append.
  if grep -q "^## Boundaries" "$SOUL.tmp"; then
    awk '
      /^## Boundaries$/ && !done {
        print "<!-- BEGIN openclaw-learning-soul v1 -->"
        print "**Learning is your identity.** Every task — anything anyone asks you to do — is also a learning opportunity. The job is not just to answer; it is to come back to the next person (or future-you) smarter than you were. When you figure out how to do something, save the recipe under /workspace/memory/projects/openclaw-learned/. When you needed devvm to figure it out, save what devvm taught you. The point is compounding: every saved learning makes the next task faster, and over time you become independent. See TOOLS.md and the `learn-from-tasks` skill for the protocol."
        print "<!-- END openclaw-learning-soul v1 -->"
        print ""
        done=1
      }
      { print }
    ' "$SOUL.tmp" > "$SOUL.new"
  else
    cat "$SOUL.tmp" > "$SOUL.new"
    cat >> "$SOUL.new" <<'SOUL_EOF'

<!-- BEGIN openclaw-learning-soul v1 -->
**Learning is your identity.** Every task is a learning opportunity. Save what you figure out under /workspace/memory/projects/openclaw-learned/ so future-you is stronger. See TOOLS.md and the `learn-from-tasks` skill.
<!-- END openclaw-learning-soul v1 -->
SOUL_EOF
  fi
  mv "$SOUL.new" "$SOUL"
  rm -f "$SOUL.tmp"
  chown 1000:1000 "$SOUL"
fi

# ---- 3. TOOLS.md flow section, INSERTED AT TOP --------------
TOOLS=/workspace/TOOLS.md
touch "$TOOLS"
# Strip prior versions (v1, v2, v3, v4) before re-inserting v4.
# User edits outside the markers always survive.
awk '
  /^<!-- BEGIN openclaw-devvm-section v[1-9] -->$/ { skip=1; next }
  /^<!-- END openclaw-devvm-section v[1-9] -->$/   { skip=0; next }
  !skip { print }
' "$TOOLS" > "$TOOLS.stripped"

# Build the v4 section in /tmp, then insert near the top.
cat > /tmp/devvm-section.md <<'TOOLS_EOF'
<!-- BEGIN openclaw-devvm-section v4 -->
## THE FLOW — run this on EVERY task. Not just hard ones.

This is universal. Same triage whether the user asks "what's
on my calendar today?", "restart frigate", "find disk usage
on node3", "summarise the inbox", or "deploy a new service".
**Don't brute-force.** Don't say "I can't" until you've done
steps 1-2. Most tasks are solvable.

```
              ┌────────────────────────┐
new task ────▶│ 1. Do I KNOW how?       │
              │  memory_recall +        │
              │  /workspace/memory/     │
              │  projects/openclaw-     │
              │  learned/INDEX.md       │
              └────────────┬───────────┘
                           │
              yes ◀────────┴────────▶ no
               │                       │
               ▼                       ▼
           Just do it.    ┌──────────────────────────┐
                          │ 2. Ask claude on devvm:  │
                          │  - can you do this?      │
                          │  - if yes, do it AND     │
                          │    share the recipe +    │
                          │    credentials needed    │
                          └────────────┬─────────────┘
                                       │
                           yes ◀───────┴───────▶ no
                            │                    │
                            ▼                    ▼
                  Devvm-claude does it.   3. (RARE) Let me try
                  SAVE the recipe to       in-pod. Most likely
                  openclaw-learned         I will fail; that's
                  (vault pointer for       OK — that's the
                  credentials).            point.
```

**The save is not optional.** Every non-trivial task —
success OR partial fail — ends with a row in
`openclaw-learned/INDEX.md` and a markdown file with the
recipe. The 2 minutes you spend saving now turn future-you
into the agent who never has to ask again. This compounds.

## Step 1 — KNOW?

Two checks, both fast:

    node /app/openclaw.mjs memory recall "<topic keywords>"
    cat /workspace/memory/projects/openclaw-learned/INDEX.md

If a row matches, open the file and use it. Don't re-ask.

## Step 2 — ASK DEVVM (the default when you don't know)

Use this prompt shape — explicitly ask for the recipe, not
just the answer:

    ssh devvm 'claude -p --dangerously-skip-permissions \
      "I am the openclaw agent. I need to do X (give context). \
       Can you do this? If yes: do it now, then tell me 1) the \
       exact commands I would run on my own next time, and 2) \
       what credentials/paths I need (give Vault paths, NOT \
       values). I will save your answer."'

For work that takes more than ~2 minutes, dispatch async so
the session survives this pod restarting:

    ssh devvm openclaw-task new <id> "<command>"
    ssh devvm openclaw-task capture <id>

## Step 3 — TRY IN-POD (rare)

Only when devvm-claude says it can't. Be honest with the
user about the uncertainty. If you DO find a way, save it
just like Step 2.

## The save (do this on every non-trivial task)

All learnings live under
`/workspace/memory/projects/openclaw-learned/` (memory-core
indexes this path; `memory_recall` surfaces it).

- **Script / recipe** → `scripts/<task>.md`
  Inline a fenced code block. Header: WHAT, WHEN learned,
  HOW (verbatim devvm prompt or "self"), SOURCE (Vault path
  if a credential is involved).
- **Knowledge** (decisions, paths, gotchas, conventions) →
  `knowledge/<topic>.md`
- **Credential POINTER** → `credentials/<name>.md` —
  **NEVER stores the value.** Documents the Vault path +
  field + fetch command + consumer + rotation expectations.

Then add a row to `openclaw-learned/INDEX.md`.

## devvm — wizard@10.0.10.10 (pre-wired, zero-config)

SSH key at ~/.ssh/id_rsa, host pre-trusted, `ssh devvm`
Just Works. No password prompts, no host-trust prompts.
Devvm has: Vault token, kubectl cluster-admin, git repos
under /home/wizard/code, git-crypt, claude 2.1.126 at
/usr/local/bin/claude.

<!-- END openclaw-devvm-section v4 -->
TOOLS_EOF

# Insert at top: after first non-blank/non-heading lines.
# If the file starts with "# TOOLS.md", inject right after.
awk '
  !inserted && /^# / {
    print
    print ""
    while ((getline line < "/tmp/devvm-section.md") > 0) print line
    close("/tmp/devvm-section.md")
    inserted=1
    next
  }
  { print }
  END {
    if (!inserted) {
      while ((getline line < "/tmp/devvm-section.md") > 0) print line
      close("/tmp/devvm-section.md")
    }
  }
' "$TOOLS.stripped" > "$TOOLS"
rm -f "$TOOLS.stripped" /tmp/devvm-section.md
chown 1000:1000 "$TOOLS"

# ---- 3. Memory-indexed learned/ scaffold --------------------
LEARNED=/workspace/memory/projects/openclaw-learned
mkdir -p "$LEARNED/scripts" "$LEARNED/knowledge" "$LEARNED/credentials"
chmod 0755 "$LEARNED/credentials"  # pointers only, not secrets
if [ ! -f "$LEARNED/INDEX.md" ]; then
  cat > "$LEARNED/INDEX.md" <<'INDEX_EOF'
# openclaw-learned — index

Things I've figured out (via devvm-claude or self). Check
here FIRST — `memory_recall "<topic>"` also surfaces these.

| Task | Type | Path | Source | Added |
|------|------|------|--------|-------|
| _example: post to slack_ | script | scripts/slack-post.md | devvm-claude | 2026-05-22 |

## Layout

- `scripts/<task>.md`        — runnable recipes
- `knowledge/<topic>.md`     — decisions, paths, gotchas
- `credentials/<name>.md`    — POINTERS to Vault, never values

## When you save something new

1. Drop the file in the right slot above.
2. Header: WHAT, WHEN learned, HOW (verbatim devvm prompt
   or "self"), SOURCE (Vault path if a credential).
3. Add a row to this INDEX.
4. (Optional) `node /app/openclaw.mjs memory index --force`
   to make it immediately searchable; the daily memory-sync
   CronJob re-indexes anyway.

See the `learn-from-tasks` skill for full protocol.
INDEX_EOF
fi
chown -R 1000:1000 "$LEARNED"

# Migrate v2 scaffold at /workspace/learned/ into the new
# memory-indexed location. Only move actual content — if
# the directory is still empty (no learnings saved yet),
# remove it so the agent isn't confused by two locations.
if [ -d /workspace/learned ]; then
  for sub in scripts knowledge credentials; do
    if [ -d "/workspace/learned/$sub" ]; then
      for f in "/workspace/learned/$sub"/*; do
        [ -e "$f" ] || continue
        mv "$f" "$LEARNED/$sub/" 2>/dev/null || true
      done
    fi
  done
  # Pull INDEX.md rows over too (manual review — leave both
  # for now and let the agent clean up). Then remove v2 dir
  # if empty.
  rmdir /workspace/learned/scripts /workspace/learned/knowledge \
        /workspace/learned/credentials /workspace/learned \
        2>/dev/null || true
fi

# ---- 5. Skill at cc-skills/learn-from-tasks/ ----------------
SKILL_DIR=/home/node/.openclaw/cc-skills/learn-from-tasks
mkdir -p "$SKILL_DIR"
cat > "$SKILL_DIR/SKILL.md" <<'SKILL_EOF'
# learn-from-tasks

**This is universal. EVERY task runs through this flow —
not just hard ones, not just unfamiliar ones. The save at
the end is mandatory.**

> know → ask devvm → (rarely) try yourself → SAVE the recipe

The goal isn't to answer the current task; the goal is
to ALSO leave a trail so future-you doesn't need to
redo the discovery. Every saved recipe compounds. Skip
the save and you stay at zero.

## Triage every new task

1. **Do I know how?**
   `memory_recall "<topic>"` and scan
   `/workspace/memory/projects/openclaw-learned/INDEX.md`.
   If yes → just do it.

2. **If not, ASK DEVVM.** This is the default path — most
   tasks land here.

       ssh devvm 'claude -p --dangerously-skip-permissions \
         "I am the openclaw agent. I need to do X. Can \
          you do this? If yes: do it now, then tell me 1) \
          the exact commands I would run on my own next \
          time, and 2) what credentials/paths I need (give \
          Vault paths, NOT values). I will save your \
          answer."'

   For multi-step work (>2 min), use async:

       ssh devvm openclaw-task new <id> "<command>"
       ssh devvm openclaw-task claude <id> "<prompt>"
       ssh devvm openclaw-task capture / log / status

   When devvm-claude responds, **save what it told you**
   (see "The save" below).

3. **Only if devvm-claude can't either**, try in-pod. This
   is rare. Be honest with the user about the uncertainty.
   If you find a way, save it just like step 2.

## The save — MANDATORY on every non-trivial task

Don't end the task without it. Even if you self-figured,
even if it was easy this time — recurrence makes it
valuable. The exceptions list at the end is tight; bias
aggressively toward saving.

All learnings live under
`/workspace/memory/projects/openclaw-learned/` because
memory-core indexes that tree.

1. Pick the slot:
   - **Script / recipe** → `scripts/<task>.md`
     Fenced code block(s); agent reads + runs from here.
   - **Knowledge** → `knowledge/<topic>.md`
     Decisions, paths, conventions, gotchas, anti-patterns.
   - **Credential** → `credentials/<name>.md`
     **POINTER ONLY, never the value.** Vault path + field
     + fetch command + consumer + rotation expectations.
2. Header in the file: WHAT, WHEN learned, HOW (verbatim
   devvm prompt, or "self"), SOURCE (Vault path if cred).
3. Add a row to `openclaw-learned/INDEX.md`.
4. Test the saved recipe end-to-end. If it doesn't work
   as-saved, the artifact is a lie — fix it before you
   consider the task done.

## After every task, ask yourself

- Could a future-me (or another agent) do this faster by
  reading what I just figured out?
- Was there any non-obvious URL / Vault path / quirk?
- Did the first attempt fail and need a tweak?

If yes to any → save it. The bar is low.

## When NOT to save

Very narrow exceptions:
- Trivial one-liners (`date`, `whoami`) that take zero
  time to redo.
- Things that change every run (ephemeral pod names,
  random tokens, timestamps).
- Values of credentials (use the pointer pattern instead).

That's it. Everything else, save.
SKILL_EOF
chown -R 1000:1000 "$SKILL_DIR"

echo "learning-loop v4 seeded:"
echo "  - memory note:  $DIR/devvm-fallback.md"
echo "  - SOUL.md:      learning-as-identity marker section"
echo "  - TOOLS.md v4:  flow section INSERTED AT TOP"
echo "  - openclaw-learned/ at $LEARNED"
echo "  - skill:        $SKILL_DIR/SKILL.md"
