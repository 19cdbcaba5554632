import { useEffect, useState } from 'react';

/** How long an action's notice ("Link copied") stays. */
const NOTICE_MS = 4000;

/** What an action had to say ("Link copied", or why it failed), cleared after a few seconds. */
export function useNotice(): [string, (text: string) => void] {
  const [notice, setNotice] = useState('');
  useEffect(() => {
    if (!notice) return;
    const timer = setTimeout(() => setNotice(''), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);
  return [notice, setNotice];
}
