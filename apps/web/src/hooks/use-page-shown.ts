import { useEffect } from 'react';

/** Runs `run` whenever the page comes back into view or the window gets focus (what was not seen may be seen now). */
export function usePageShown(run: () => void): void {
  useEffect(() => {
    document.addEventListener('visibilitychange', run);
    window.addEventListener('focus', run);
    return () => {
      document.removeEventListener('visibilitychange', run);
      window.removeEventListener('focus', run);
    };
  }, [run]);
}
