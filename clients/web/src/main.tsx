import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './app';
import { createAzora } from './azora';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App azora={createAzora()} />
  </StrictMode>,
);
