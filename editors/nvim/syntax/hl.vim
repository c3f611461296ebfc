" Syntax highlighting for hl, the homelab configuration language compiled by hlc.
" The token classes follow the VS Code grammar (editors/vscode/syntaxes/hl.tmLanguage.json).

if exists('b:current_syntax')
  finish
endif
let s:cpo_save = &cpo
set cpo&vim

syn iskeyword @,48-57,_,192-255

" A name: letters, digits and `_`, with inner dashes (`k8s-dashboard`).
let s:id = '\h\w*\%(-\w\+\)*'

" Items defined later win where two start at the same place: names first (so that the `-` in
" `vault-database` is not an operator), then operators and punctuation.
exe 'syn match hlIdentifier "\<' . s:id . '"'
syn match hlOperator '==\|!=\|<=\|>=\|&&\|||\|[-+*/%<>=!?]'
syn match hlDelimiter '[,:.]'
syn match hlOperator '->\|\.\.'

" Words.
syn keyword hlInclude import
syn keyword hlInclude as nextgroup=hlNamespace skipwhite
syn keyword hlKeyword let nextgroup=hlLetName skipwhite
syn keyword hlKeyword fn nextgroup=hlFnName skipwhite
syn keyword hlKeyword schema enum nextgroup=hlTypeDef skipwhite
syn keyword hlConditional if then else
syn keyword hlLogical and or not
syn keyword hlBoolean true false
syn keyword hlNull null
exe 'syn match hlNamespace contained "' . s:id . '"'
exe 'syn match hlLetName contained "' . s:id . '"'
exe 'syn match hlFnName contained "' . s:id . '"'
exe 'syn match hlTypeDef contained "' . s:id . '"'

" Declarations: `service web {`, `port http = 80` (a keyword-like kind, then a name) and
" `resources {` (a kind alone); fields: `image = ...`, and `name: ...` in maps and schemas.
exe 'syn match hlField "\<' . s:id . '\ze?\=\s*:"'
exe 'syn match hlField "\<' . s:id . '\ze\s*=[=]\@!"'
exe 'syn match hlDeclKeyword "^\s*\zs' . s:id . '\ze\s*{"'
exe 'syn match hlDeclKeyword "^\s*\zs' . s:id . '\ze\s\+' . s:id . '\s*[={]" nextgroup=hlDeclName skipwhite'
exe 'syn match hlDeclName contained "' . s:id . '"'

" Calls, with named arguments; in the parameter list of a `fn`, names before `:`.
exe 'syn match hlFunction "\<' . s:id . '\ze\s*("'
syn region hlParens transparent matchgroup=hlDelimiter start='(' end=')'
      \ contains=@hlExpr,hlArgName,hlParam
exe 'syn match hlArgName contained "\<' . s:id . '\ze\s*=[=]\@!"'
exe 'syn match hlParam contained "\<' . s:id . '\ze\s*:"'
" Blocks and records hold entries (fields, declarations) and values.
syn region hlBlock transparent matchgroup=hlDelimiter start='{' end='}' contains=TOP
syn region hlList transparent matchgroup=hlDelimiter start='\[' end='\]' contains=@hlExpr

" Types: after `:` or `->` (also inside `[T]` and `{K: V}`), and before the block of a typed
" record (`Volume { ... }`). Type names are capitalised.
syn match hlType '\%(\%(:\|->\)\s*[[{]*\s*\)\@<=\u\w*\%(\.\u\w*\)*'
syn match hlType '\<\u\w*\%(\.\u\w*\)*\ze\s*{'

" Enums: variants, with the type of their data in parentheses.
syn region hlEnumBody matchgroup=hlDelimiter start='\%(\<enum\s\+\h\w*\s*\)\@<={' end='}'
      \ contains=hlComment,hlDocComment,hlBlockComment,hlEnumMember,hlEnumPayload,hlDelimiter
exe 'syn match hlEnumMember contained "' . s:id . '"'
syn region hlEnumPayload contained matchgroup=hlDelimiter start='(' end=')' contains=hlPayloadType
syn match hlPayloadType contained '\h\w*\%(\.\h\w*\)*'

" Numbers and quantities (`256Mi`, `15m`, `1.5Gi`, `3h`); not the digits inside a name (`web-2`).
syn match hlNumber '\%(\w-\)\@<!\<\d\+\>'
syn match hlFloat '\%(\w-\)\@<!\<\d\+\.\d\+\>'
syn match hlQuantity '\%(\w-\)\@<!\<\d\+\%(\.\d\+\)\=\a\+\>' contains=hlUnit
syn match hlUnit contained '\d\@<=\a\+'

" Strings, their escapes and `${...}` interpolations.
syn region hlString start='"' skip='\\\\\|\\"' end='"\|$' contains=hlEscapeError,hlEscape,hlInterp,@Spell
syn match hlEscapeError contained '\\.\='
syn match hlEscape contained '\\\%([\\"ntr$]\|u{\x\{1,6}}\)'
syn region hlInterp contained matchgroup=hlInterpDelim start='\${' end='}\|$' contains=@hlExpr

" Comments last, so that `//` and `/*` win over the operator `/`.
syn keyword hlTodo contained TODO FIXME XXX NOTE
syn match hlComment '//.*$' contains=hlTodo,@Spell
syn match hlDocComment '///.*$' contains=hlTodo,@Spell
syn region hlBlockComment start='/\*' end='\*/' contains=hlTodo,@Spell

syn cluster hlExpr contains=hlIdentifier,hlComment,hlDocComment,hlBlockComment,hlString,hlNumber,hlFloat,
      \hlQuantity,hlBoolean,hlNull,hlConditional,hlLogical,hlFunction,hlType,hlOperator,
      \hlDelimiter,hlBlock,hlParens,hlList

syn sync minlines=200

hi def link hlComment Comment
hi def link hlBlockComment Comment
hi def link hlDocComment SpecialComment
hi def link hlTodo Todo
hi def link hlInclude Include
hi def link hlKeyword Keyword
hi def link hlConditional Conditional
hi def link hlLogical Operator
hi def link hlBoolean Boolean
hi def link hlNull Constant
hi def link hlNamespace Identifier
hi def link hlLetName Identifier
hi def link hlFnName Function
hi def link hlTypeDef Typedef
hi def link hlDeclKeyword Structure
hi def link hlDeclName Title
hi def link hlField Identifier
hi def link hlType Type
hi def link hlEnumMember Constant
hi def link hlPayloadType Type
hi def link hlFunction Function
hi def link hlArgName Identifier
hi def link hlParam Identifier
hi def link hlNumber Number
hi def link hlFloat Float
hi def link hlQuantity Number
hi def link hlUnit Special
hi def link hlString String
hi def link hlEscape SpecialChar
hi def link hlEscapeError Error
hi def link hlInterpDelim Delimiter
hi def link hlOperator Operator
hi def link hlDelimiter Delimiter

let b:current_syntax = 'hl'
let &cpo = s:cpo_save
unlet s:cpo_save
