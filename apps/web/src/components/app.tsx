import { useParley } from '../hooks/use-client.ts';
import { AuthScreen } from './auth-screen.tsx';
import { ChatScreen } from './chat-screen.tsx';

export function App() {
  const { user } = useParley();
  // Keyed by the user: nothing of one account's screen state survives into another's.
  return user ? <ChatScreen key={user.id} /> : <AuthScreen />;
}
