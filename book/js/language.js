// The language switcher: a link in the menu bar to this page in the other
// edition. The English book is at the site's root and the Spanish one under
// es/ (scripts/book.sh), with the same page names, so the counterpart of a
// page is always found by its name.
(function () {
  const bar = document.querySelector(".right-buttons");
  if (!bar) return;
  const spanish = document.documentElement.lang === "es";
  const root = typeof path_to_root === "string" ? path_to_root : "";
  const page = window.location.pathname.split("/").pop() || "index.html";
  const link = document.createElement("a");
  link.href = root + (spanish ? "../" : "es/") + page + window.location.hash;
  link.hreflang = spanish ? "en" : "es";
  link.lang = link.hreflang;
  link.textContent = spanish ? "English" : "Español";
  link.title = spanish ? "Read this page in English" : "Lee esta página en español";
  link.className = "pitlane-language";
  bar.prepend(link);
})();
