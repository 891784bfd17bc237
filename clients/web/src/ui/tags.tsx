/** A labelled list of small tags (a course's or a job's skills). */
export function Tags({ label, items }: { label: string; items: readonly { key: string; text: string }[] }) {
  if (items.length === 0) return null;
  return (
    <ul className="tags" aria-label={label}>
      {items.map((item) => (
        <li key={item.key} className="badge">
          {item.text}
        </li>
      ))}
    </ul>
  );
}
