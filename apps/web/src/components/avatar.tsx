import type { CSSProperties } from 'react';
import { hueOf, initials } from '../lib/format.ts';

export interface AvatarProps {
  id: string;
  name: string;
  size?: 'sm' | 'md' | 'lg';
  /** Shows a presence dot: green when online. Omitted for groups and unknown presence. */
  online?: boolean;
  group?: boolean;
}

/** Initials on a colour derived from the id. Decorative: the name is always shown or read beside it. */
export function Avatar({ id, name, size = 'md', online, group }: AvatarProps) {
  const style = { '--hue': hueOf(id) } as CSSProperties;
  return (
    <span className={`avatar avatar--${size}${group ? ' avatar--group' : ''}`} style={style} aria-hidden="true">
      {initials(name)}
      {online !== undefined && <span className={`presence-dot${online ? ' presence-dot--online' : ''}`} data-online={online} />}
    </span>
  );
}
