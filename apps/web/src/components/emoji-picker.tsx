import { useMemo, useState } from 'react';
import { useSignedIn } from '../hooks/use-client.ts';
import { emojiName, searchEmoji } from '../lib/emoji-data.ts';
import { frequentEmoji } from '../lib/frequent-emoji.ts';
import { Dialog } from './dialog.tsx';

/**
 * Chooses an emoji to react with: this person's most used ones up front,
 * then every emoji of lib/emoji-data.ts, narrowed by words typed in the
 * search field (the field has focus; Enter takes the first found).
 */
export function EmojiPicker({ onPick, onClose }: { onPick: (emoji: string) => void; onClose: () => void }) {
  const { me } = useSignedIn();
  const [query, setQuery] = useState('');
  const frequent = useMemo(() => frequentEmoji(me.id), [me.id]);
  const found = useMemo(() => searchEmoji(query), [query]);
  const button = (emoji: string, name: string) => (
    <li key={emoji}>
      <button type="button" className="emoji-picker__emoji" aria-label={name} title={name} onClick={() => onPick(emoji)}>
        {emoji}
      </button>
    </li>
  );
  return (
    <Dialog title="Add a reaction" onClose={onClose} className="dialog--sheet">
      <input
        type="search"
        className="emoji-picker__search"
        placeholder="Search emoji"
        aria-label="Search emoji"
        value={query}
        onChange={(e) => setQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && found[0]) {
            e.preventDefault();
            onPick(found[0].emoji);
          }
        }}
      />
      {query === '' && (
        <>
          <h3 className="emoji-picker__heading">Frequently used</h3>
          <ul className="emoji-picker__grid" aria-label="Frequently used">
            {frequent.map((e) => button(e, emojiName(e)))}
          </ul>
        </>
      )}
      <h3 className="emoji-picker__heading">{query === '' ? 'All emoji' : `${found.length} found`}</h3>
      <ul className="emoji-picker__grid emoji-picker__grid--all" aria-label={query === '' ? 'All emoji' : 'Emoji found'}>
        {found.map((e) => button(e.emoji, e.words.split(' ').slice(0, 3).join(' ')))}
      </ul>
    </Dialog>
  );
}
