-- The hl language server (`hlc lsp`, over stdio) for hl buffers.
--
--   require('hl').setup()                                  -- the defaults below
--   require('hl').setup({ cmd = { '/path/to/hlc', 'lsp' } })
--
-- Any other key (on_attach, capabilities, settings, ...) is passed on to the LSP client.
-- On Neovim 0.11 and later this is vim.lsp.config('hl', ...) + vim.lsp.enable('hl'); on older
-- versions a FileType autocommand (group `hl_lsp`) starts the server, one per project root.

local M = {}
local uv = vim.uv or vim.loop

M.defaults = {
  cmd = { 'hlc', 'lsp' },
  filetypes = { 'hl' },
  -- The workspace is the directory above the file that holds `.git` or `stacks`.
  root_markers = { '.git', 'stacks' },
}

local function merged(opts)
  local config = {}
  for k, v in pairs(M.defaults) do
    config[k] = v
  end
  -- Shallow on purpose: a `cmd` given replaces the default one, it is not merged into it.
  for k, v in pairs(opts or {}) do
    config[k] = v
  end
  return config
end

-- The nearest directory, from the buffer's own upwards, that holds one of the markers.
local function find_root(bufnr, markers)
  local name = vim.api.nvim_buf_get_name(bufnr)
  if name == '' then
    return uv.cwd()
  end
  local dir = vim.fn.fnamemodify(name, ':p:h')
  while true do
    for _, marker in ipairs(markers) do
      if uv.fs_stat(dir .. '/' .. marker) then
        return dir
      end
    end
    local parent = vim.fn.fnamemodify(dir, ':h')
    if parent == dir then
      return vim.fn.fnamemodify(name, ':p:h')
    end
    dir = parent
  end
end

local warned = false

-- Neovim before 0.11: start (or reuse) the client of the buffer's root and attach it.
local function start(bufnr, config)
  if vim.fn.executable(config.cmd[1]) ~= 1 then
    if not warned then
      warned = true
      vim.notify(
        ('hl: %s is not executable; the hl language server is not started'):format(config.cmd[1]),
        vim.log.levels.WARN
      )
    end
    return
  end
  local client = { name = 'hl', root_dir = find_root(bufnr, config.root_markers) }
  for k, v in pairs(config) do
    if k ~= 'filetypes' and k ~= 'root_markers' then
      client[k] = v
    end
  end
  if vim.lsp.start then
    -- Neovim 0.8 to 0.10 reuse a client with the same name and root.
    vim.lsp.start(client, { bufnr = bufnr })
    return
  end
  for _, c in ipairs(vim.lsp.get_active_clients()) do
    if c.name == 'hl' and c.config.root_dir == client.root_dir then
      vim.lsp.buf_attach_client(bufnr, c.id)
      return
    end
  end
  local id = vim.lsp.start_client(client)
  if id then
    vim.lsp.buf_attach_client(bufnr, id)
  end
end

function M.setup(opts)
  local config = merged(opts)
  M.config = config

  if vim.lsp.config and vim.lsp.enable then
    vim.lsp.config('hl', config)
    vim.lsp.enable('hl')
    return
  end

  local group = vim.api.nvim_create_augroup('hl_lsp', { clear = true })
  vim.api.nvim_create_autocmd('FileType', {
    group = group,
    pattern = config.filetypes,
    desc = 'Start the hl language server (' .. table.concat(config.cmd, ' ') .. ')',
    callback = function(args)
      start(args.buf, config)
    end,
  })
  -- Buffers that were already open (setup() called from a lazy-loaded plugin, say).
  for _, bufnr in ipairs(vim.api.nvim_list_bufs()) do
    if vim.api.nvim_buf_is_loaded(bufnr) and vim.tbl_contains(config.filetypes, vim.bo[bufnr].filetype) then
      start(bufnr, config)
    end
  end
end

return M
