// Showing and hiding a line of text (errors, notices): plain text only.

export function showText(element, text) {
  element.textContent = text;
  element.hidden = false;
}

export function hide(element) {
  element.textContent = '';
  element.hidden = true;
}
