import { render } from 'preact';
import { useState } from 'preact/hooks';
import { token } from './api.js';
import { EventsPage } from './pages/events.js';
import { JobPage, JobsPage } from './pages/jobs.js';
import { MasterPage } from './pages/master.js';
import { MastersPage } from './pages/masters.js';
import { SearchBox, SearchPage } from './pages/search.js';
import { SignIn } from './pages/sign-in.js';
import { href, useRoute } from './router.js';

function App() {
  const route = useRoute();
  const [signedIn, setSignedIn] = useState(() => token.get() !== null);
  const [section = 'masters', sn] = route.path;
  const signOut = () => {
    token.clear();
    setSignedIn(false);
  };
  return (
    <>
      <header>
        <a class="brand" href={href(['masters'])}>
          act2
        </a>
        <nav>
          <a href={href(['masters'])} class={section === 'masters' ? 'active' : ''}>
            Masters
          </a>
          <a href={href(['search'])} class={section === 'search' ? 'active' : ''}>
            Search
          </a>
          <a href={href(['events'])} class={section === 'events' ? 'active' : ''}>
            Events
          </a>
          <a href={href(['jobs'])} class={section === 'jobs' ? 'active' : ''}>
            Jobs
          </a>
          <a href="/docs/">API</a>
        </nav>
        {section !== 'search' ? <SearchBox value="" /> : null}
        {signedIn ? (
          <button class="link" onClick={signOut}>
            Sign out
          </button>
        ) : null}
      </header>
      <main>
        {!signedIn ? (
          <SignIn onDone={() => setSignedIn(true)} />
        ) : section === 'masters' && sn !== undefined ? (
          <MasterPage sn={sn} route={route} />
        ) : section === 'search' ? (
          <SearchPage route={route} />
        ) : section === 'jobs' && sn !== undefined ? (
          <JobPage id={sn} />
        ) : section === 'jobs' ? (
          <JobsPage route={route} />
        ) : section === 'events' ? (
          <EventsPage route={route} />
        ) : (
          <MastersPage route={route} />
        )}
      </main>
    </>
  );
}

render(<App />, document.getElementById('app')!);
