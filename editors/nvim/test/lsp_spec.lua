-- Headless checks of the Neovim plugin against the real language server, run by test/lsp.sh
-- in a scratch directory that holds a copy of stacks/ (the buffer is changed, never written).
-- The server is $HLC_BIN, started through require('hl').setup(). The steps: open
-- stacks/freshrss.hl, break a Namespace tier and wait for the server's E0214, hover an enum
-- variant and compare the text with the standard library's doc comment, undo the break and
-- wait for the diagnostics to go, then stop the server and check that it exited cleanly.

local passed, failed = 0, 0
local TIMEOUT = 60000 -- ms; a debug build checks the whole workspace on every change
local uv = vim.uv or vim.loop

local function check(ok, what, detail)
  if ok then
    passed = passed + 1
    io.stdout:write('ok   ' .. what .. '\n')
  else
    failed = failed + 1
    io.stdout:write('FAIL ' .. what .. (detail and (': ' .. detail) or '') .. '\n')
  end
  return ok
end

local function elapsed(since)
  return ('%d ms'):format((uv.hrtime() - since) / 1e6)
end

-- The hl clients attached to a buffer (vim.lsp.get_clients from 0.10, buf_get_clients before).
local function clients(bufnr)
  local list = {}
  if vim.lsp.get_clients then
    list = vim.lsp.get_clients({ bufnr = bufnr, name = 'hl' })
  else
    for _, c in pairs(vim.lsp.buf_get_clients(bufnr)) do
      if c.name == 'hl' then
        table.insert(list, c)
      end
    end
  end
  return list
end

-- The first line (1-based) of the buffer where `pattern` matches, and the byte column (0-based).
local function find(bufnr, pattern)
  for lnum, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local col = line:find(pattern)
    if col then
      return lnum, col - 1
    end
  end
end

local function codes(diagnostics)
  local list = {}
  for _, d in ipairs(diagnostics) do
    table.insert(list, ('%s %s:%d:%d %s'):format(tostring(d.code), d.severity, d.lnum, d.col, d.message))
  end
  return table.concat(list, '; ')
end

-- The doc comment (`/// ...` lines) right above the variant `name` of `enum <enum>` in a file of
-- the standard library: what a hover on that variant should show.
local function stdlib_doc(file, enum, name)
  local lines = vim.fn.readfile(file)
  local inside = false
  for i, line in ipairs(lines) do
    if line:match('^enum ' .. enum .. '%f[^%w_-]') then
      inside = true
    elseif inside and line:match('^}') then
      return nil
    elseif inside and line:match('^%s*' .. name:gsub('%-', '%%-') .. '%s*,?%s*$') then
      local doc = {}
      local j = i - 1
      while j > 0 and lines[j]:match('^%s*///') do
        table.insert(doc, 1, vim.trim(lines[j]:gsub('^%s*///', '')))
        j = j - 1
      end
      return table.concat(doc, ' ')
    end
  end
end

local function run()
  local version = vim.version()
  io.stdout:write(('Neovim %d.%d.%d\n'):format(version.major, version.minor, version.patch))

  local hlc = os.getenv('HLC_BIN')
  if not check(hlc ~= nil and vim.fn.executable(hlc) == 1, 'HLC_BIN is an executable hlc', tostring(hlc)) then
    return
  end
  local stdlib = os.getenv('HL_STDLIB')
  local file = 'stacks/freshrss.hl'

  local exit_code
  require('hl').setup({
    cmd = { hlc, 'lsp' },
    on_exit = function(code)
      exit_code = code
    end,
  })

  vim.cmd('edit ' .. file)
  local bufnr = vim.api.nvim_get_current_buf()
  check(vim.bo[bufnr].filetype == 'hl', file .. ' has filetype hl', vim.bo[bufnr].filetype)

  -- The client starts, initializes and attaches to the buffer.
  local start = uv.hrtime()
  local attached = vim.wait(TIMEOUT, function()
    local c = clients(bufnr)[1]
    return c ~= nil and c.server_capabilities ~= nil and c.server_capabilities.hoverProvider ~= nil
  end, 50)
  if not check(attached, 'hlc lsp attaches to ' .. file, 'no initialized hl client after ' .. elapsed(start)) then
    return
  end
  local client = clients(bufnr)[1]
  io.stdout:write(('     (attached in %s; root %s)\n'):format(elapsed(start), tostring(client.config.root_dir)))
  -- The server bounds its hl workspace by the client's root, so the root must hold the file.
  -- (Which ancestor differs: before 0.11 the plugin takes the nearest directory holding `.git`
  -- or `stacks`; 0.11's root_markers are in priority order (seen on 0.11.4), `.git` first, so a
  -- copy of stacks/ inside a git checkout gets the checkout's root.)
  local root = client.config.root_dir and uv.fs_realpath(client.config.root_dir)
  local path = uv.fs_realpath(file)
  check(
    root ~= nil and path ~= nil and path:sub(1, #root + 1) == root .. '/',
    'the workspace root holds ' .. file,
    ('root %s, file %s'):format(tostring(client.config.root_dir), tostring(path))
  )

  -- Break the Namespace tier: `tier = "gold"` is E0214 (not a tier the cluster declares).
  local lnum, col = find(bufnr, 'tier = "aux"')
  if not check(lnum ~= nil, file .. ' has `tier = "aux"`') then
    return
  end
  local original = vim.api.nvim_buf_get_lines(bufnr, lnum - 1, lnum, false)[1]
  local broken = original:gsub('tier = "aux"', 'tier = "gold"')
  vim.api.nvim_buf_set_lines(bufnr, lnum - 1, lnum, false, { broken })

  start = uv.hrtime()
  local e0214
  vim.wait(TIMEOUT, function()
    for _, d in ipairs(vim.diagnostic.get(bufnr)) do
      if d.code == 'E0214' then
        e0214 = d
        return true
      end
    end
    return false
  end, 50)
  if
    not check(
      e0214 ~= nil,
      'E0214 is reported for `tier = "gold"`',
      ('after %s the diagnostics are [%s]'):format(elapsed(start), codes(vim.diagnostic.get(bufnr)))
    )
  then
    return
  end
  io.stdout:write(('     (E0214 after %s: %s)\n'):format(elapsed(start), e0214.message:gsub('\n.*', '')))
  local gold = col + #'tier = '
  check(
    e0214.lnum == lnum - 1 and e0214.col == gold,
    'E0214 points at `"gold"`',
    ('at %d:%d, expected %d:%d'):format(e0214.lnum, e0214.col, lnum - 1, gold)
  )
  check(e0214.severity == vim.diagnostic.severity.ERROR, 'E0214 is an error', tostring(e0214.severity))
  check(e0214.message:find('aux', 1, true) ~= nil, 'the message lists the valid tiers', e0214.message)

  -- Hover on `proxied` (an Ingress's `dns`): the variant of DnsType and the stdlib's words on it.
  local plnum, pcol = find(bufnr, '= proxied')
  if check(plnum ~= nil, file .. ' has `dns = proxied`') then
    local params = {
      textDocument = { uri = vim.uri_from_bufnr(bufnr) },
      position = { line = plnum - 1, character = pcol + 3 },
    }
    local replies, err = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, TIMEOUT)
    local reply = replies and replies[client.id] or {}
    local contents = reply.result and reply.result.contents or {}
    local text = type(contents) == 'table' and contents.value or tostring(contents)
    check(reply.err == nil and text ~= nil, 'hover on `proxied` answers', vim.inspect(err or reply))
    text = text or ''
    check(
      type(contents) == 'table' and contents.kind == 'markdown',
      'the hover is markdown',
      vim.inspect(contents):sub(1, 200)
    )
    check(text:find('DnsType.proxied', 1, true) ~= nil, 'the hover names DnsType.proxied', text)
    local doc = stdlib and stdlib_doc(stdlib .. '/k8s.hl', 'DnsType', 'proxied')
    if check(doc ~= nil and doc ~= '', 'stdlib/k8s.hl documents DnsType.proxied', tostring(stdlib)) then
      -- The server may rewrap the doc comment: compare words, not lines.
      local function words(s)
        return (s:gsub('%s+', ' '))
      end
      check(words(text):find(words(doc), 1, true) ~= nil, 'the hover shows the doc comment: ' .. doc, text)
    end
  end

  -- Undo the break: the diagnostics go.
  vim.api.nvim_buf_set_lines(bufnr, lnum - 1, lnum, false, { original })
  start = uv.hrtime()
  local cleared = vim.wait(TIMEOUT, function()
    return #vim.diagnostic.get(bufnr) == 0
  end, 50)
  check(
    cleared,
    'the diagnostics clear once `tier = "aux"` is back',
    ('after %s: [%s]'):format(elapsed(start), codes(vim.diagnostic.get(bufnr)))
  )
  if cleared then
    io.stdout:write(('     (cleared after %s)\n'):format(elapsed(start)))
  end

  -- Shut the server down: it answers `shutdown` and exits with 0.
  local id = client.id
  vim.lsp.stop_client(id)
  start = uv.hrtime()
  local stopped = vim.wait(TIMEOUT, function()
    return exit_code ~= nil and vim.lsp.get_client_by_id(id) == nil
  end, 50)
  check(stopped and exit_code == 0, 'hlc lsp exits with 0 when stopped', ('exit code %s after %s'):format(tostring(exit_code), elapsed(start)))
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  check(false, 'the test ran to its end', err)
end
io.stdout:write(('nvim lsp: %d passed, %d failed\n'):format(passed, failed))
vim.cmd(failed == 0 and 'qall!' or 'cquit 1')
