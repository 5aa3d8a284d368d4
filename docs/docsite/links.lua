-- pandoc filter of tests/docsite.sh: links between the guides (escrow.md) point to their docsite
-- pages (escrow.html, beside each other); links to other files of the repository point to GitHub.
local repository = "https://github.com/fleet2fa/nas/blob/main/"

function Link(el)
  local target = el.target
  if target:match("^%a[%w+.-]*:") or target:match("^#") then
    return el
  end
  local page, anchor = target:match("^([%w_-]+)%.md(#?.*)$")
  if page then
    el.target = page .. ".html" .. anchor
  elseif target:match("^%.%./") then
    el.target = repository .. target:gsub("^%.%./", "")
  else
    el.target = repository .. "docs/" .. target:gsub("^%./", "")
  end
  return el
end
