-- *.hl files are hl, the homelab configuration language compiled by hlc.
if vim.fn.has('nvim-0.8') == 1 then
  vim.filetype.add({ extension = { hl = 'hl' } })
else
  -- Neovim 0.7 detects filetypes with filetype.vim, which sources this file inside its
  -- filetypedetect augroup (its vim.filetype.add only serves the opt-in filetype.lua).
  vim.cmd([[autocmd BufRead,BufNewFile *.hl setfiletype hl]])
end
