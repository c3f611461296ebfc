-- Headless checks of the Neovim plugin, run by test/run.sh from the repository root with the
-- plugin on 'runtimepath': filetype detection, buffer options, syntax groups on real files of
-- stacks/, and the LSP setup. The LSP start functions are replaced by recorders, so no server
-- runs (attaching to `hlc lsp` is for a test with the language server).

local passed, failed = 0, 0

local function check(ok, what, detail)
  if ok then
    passed = passed + 1
    io.stdout:write('ok   ' .. what .. '\n')
  else
    failed = failed + 1
    io.stdout:write('FAIL ' .. what .. (detail and (': ' .. detail) or '') .. '\n')
  end
end

local function eq(actual, expected, what)
  check(vim.deep_equal(actual, expected), what, ('expected %s, got %s'):format(vim.inspect(expected), vim.inspect(actual)))
end

-- Record what would start a language server.
local starts = {}
if vim.lsp.start then
  vim.lsp.start = function(config, opts)
    table.insert(starts, { config = config, opts = opts or {} })
    return 1
  end
else
  vim.lsp.start_client = function(config)
    table.insert(starts, { config = config, opts = {} })
    return #starts
  end
  vim.lsp.buf_attach_client = function() end
  vim.lsp.get_active_clients = function()
    return {}
  end
end
local notes = {}
vim.notify = function(msg)
  table.insert(notes, msg)
end

-- The syntax groups at the first match of `pattern` in the current buffer, `offset` bytes into
-- the match: the innermost group and the whole stack.
local function groups_at(pattern, offset)
  for lnum = 1, vim.fn.line('$') do
    local col = vim.fn.getline(lnum):find(pattern)
    if col then
      col = col + (offset or 0)
      local stack = {}
      for _, id in ipairs(vim.fn.synstack(lnum, col)) do
        table.insert(stack, vim.fn.synIDattr(id, 'name'))
      end
      return stack[#stack], stack, ('%s:%d:%d'):format(vim.fn.expand('%'), lnum, col)
    end
  end
  return nil, {}, ('%s has no line matching %q'):format(vim.fn.expand('%'), pattern)
end

local function syntax(pattern, offset, group, inside)
  local top, stack, where = groups_at(pattern, offset)
  local ok = top == group and (inside == nil or vim.tbl_contains(stack, inside))
  check(ok, ('%q is %s%s'):format(pattern, group, inside and (' in ' .. inside) or ''),
    ('at %s the groups are %s'):format(where, vim.inspect(stack)))
end

-- The first file of stacks/ (in name order) with a `let` and an interpolation.
local function file_with_let_and_interpolation()
  for _, path in ipairs(vim.fn.sort(vim.fn.glob('stacks/*.hl', false, true))) do
    local text = table.concat(vim.fn.readfile(path), '\n')
    if text:find('\nlet ') and text:find('"[^"\n]*%${') then
      return path
    end
  end
end

local function run()
  local version = vim.version()
  io.stdout:write(('Neovim %d.%d.%d\n'):format(version.major, version.minor, version.patch))
  local root = vim.fn.getcwd()

  require('hl').setup()

  vim.cmd('edit stacks/freshrss.hl')
  eq(vim.bo.filetype, 'hl', 'stacks/freshrss.hl has filetype hl')
  eq(vim.b.current_syntax, 'hl', 'syntax/hl.vim is loaded')
  eq(vim.bo.commentstring, '// %s', 'commentstring')
  eq({ vim.bo.shiftwidth, vim.bo.expandtab }, { 2, true }, 'indent by 2 spaces')
  eq(vim.bo.formatprg, 'hlc fmt -', 'formatprg')

  syntax('^// ', 0, 'hlComment')
  syntax('^stack ', 0, 'hlDeclKeyword')
  syntax('^stack ', 6, 'hlDeclName')
  syntax('image = "', 0, 'hlField')
  syntax('image = "', 8, 'hlString')
  syntax('memory = 256Mi', 9, 'hlQuantity')
  syntax('memory = 256Mi', 12, 'hlUnit', 'hlQuantity')
  syntax('port http = %d', 0, 'hlDeclKeyword')
  syntax('port http = %d', 5, 'hlDeclName')
  syntax('= pvc%(', 2, 'hlFunction')
  syntax('= true', 2, 'hlBoolean')

  local other = file_with_let_and_interpolation()
  check(other ~= nil, 'a file of stacks/ has a let and an interpolation')
  if other then
    vim.cmd('edit ' .. other)
    syntax('^let ', 0, 'hlKeyword')
    syntax('^let ', 4, 'hlLetName')
    syntax('"[^"]*%${', 0, 'hlString')
    local _, _, where = groups_at('%${', 0)
    syntax('%${', 0, 'hlInterpDelim', 'hlString')
    syntax('%${', 2, 'hlIdentifier', 'hlInterp')
    io.stdout:write('     (interpolation checked at ' .. where .. ')\n')
  end

  local cmd = { 'hlc', 'lsp' }
  if vim.lsp.config and vim.lsp.enable then
    local config = vim.lsp.config.hl
    eq(config and config.cmd, cmd, 'vim.lsp.config.hl.cmd')
    eq(config and config.filetypes, { 'hl' }, 'vim.lsp.config.hl.filetypes')
    eq(config and config.root_markers, { '.git', 'stacks' }, 'vim.lsp.config.hl.root_markers')
    check(vim.lsp.is_enabled('hl'), 'vim.lsp.enable("hl")')
  else
    local autocmds = vim.api.nvim_get_autocmds({ group = 'hl_lsp', event = 'FileType' })
    eq(#autocmds, 1, 'one FileType autocommand in the hl_lsp group')
    eq(autocmds[1] and autocmds[1].pattern, 'hl', 'the autocommand is for filetype hl')
  end
  check(#starts >= 1, 'opening an hl file starts the language server')
  local first = starts[1] or { config = {}, opts = {} }
  eq(first.config.cmd, cmd, 'the server command')
  if first.config.root_dir then
    eq(first.config.root_dir, root, 'the server runs at the repository root')
  else
    eq(first.opts._root_markers, { '.git', 'stacks' }, 'the root is found by .git or stacks')
  end

  -- A missing executable is skipped, not an error on every file opened.
  local before = #starts
  require('hl').setup({ cmd = { 'hlc-not-installed', 'lsp' } })
  vim.cmd('enew | setfiletype hl')
  eq(#starts, before, 'no server is started when the command is not executable')
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  check(false, 'the test ran to its end', err)
end
io.stdout:write(('nvim: %d passed, %d failed\n'):format(passed, failed))
vim.cmd(failed == 0 and 'qall!' or 'cquit 1')
