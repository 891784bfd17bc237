import { useState } from 'react';

/** Copies text to the clipboard and says so (the clipboard needs a secure context: https or localhost). */
export function CopyButton({ text, label }: { text: string; label: string }) {
  const [state, setState] = useState<'idle' | 'copied' | 'failed'>('idle');
  const copy = () => {
    navigator.clipboard
      .writeText(text)
      .then(() => setState('copied'))
      .catch(() => setState('failed'));
  };
  return (
    <>
      <button type="button" className="secondary small" onClick={copy} aria-label={label}>
        Copy
      </button>
      <span className="copy-status" role="status">
        {state === 'copied' ? 'Copied' : state === 'failed' ? 'Select the text to copy it' : ''}
      </span>
    </>
  );
}
