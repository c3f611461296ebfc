-- Buffer settings for hl files.
if vim.b.did_ftplugin then
  return
end
vim.b.did_ftplugin = 1

local bo = vim.bo
bo.commentstring = '// %s'
bo.comments = 's1:/*,mb:*,ex:*/,:///,://'
bo.formatoptions = 'croqlj'
-- Two spaces per level, as `hlc fmt` writes it.
bo.expandtab = true
bo.shiftwidth = 2
bo.softtabstop = 2
bo.tabstop = 2
bo.autoindent = true
bo.smartindent = true
bo.cinwords = ''
-- `k8s-dashboard` is one word, as it is one name in hl.
bo.iskeyword = '@,48-57,_,192-255,-'
bo.suffixesadd = '.hl'
-- `gq` formats through hlc (the whole file is the usual range: `gggqG`).
bo.formatprg = 'hlc fmt -'

vim.b.undo_ftplugin = 'setlocal commentstring< comments< formatoptions< expandtab< shiftwidth<'
  .. ' softtabstop< tabstop< autoindent< smartindent< cinwords< iskeyword< suffixesadd< formatprg<'
