import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { gqlError, type Handler } from '@/test/mock-client';
import { renderApp, sessions, software } from '@/test/render';

const requestTypes = [
  { type: 'SOFTWARE_INSTALL', explanation: 'Have a program from the catalog installed on your computer.' },
  { type: 'HARDWARE', explanation: 'A laptop, screen or other equipment: new, broken or to return.' },
  { type: 'OTHER', explanation: 'Anything else.' },
];
const retired = { id: '5', name: 'Old CAD', version: '1.0', label: 'Old CAD 1.0', retired: true };
const catalog: Handler = () => ({
  data: {
    softwareCatalog: [...software.map((s) => ({ ...s, retired: false })), retired],
    requestTypes,
    limits: { maxDescriptionChars: 20, maxAttachmentBytes: 1024 * 1024, maxAttachments: 3 },
  },
});
const created: Handler = () => ({
  data: {
    createTicket: {
      id: '9',
      number: 'INC-2026-0009',
      subject: 'AutoCAD please',
      status: 'START',
      statusLabel: 'Start',
      requestType: 'SOFTWARE_INSTALL',
      createdAt: '2026-11-20T10:00:00Z',
    },
  },
});

function setup(handlers: Record<string, Handler> = {}) {
  return renderApp({
    path: '/new-request',
    session: sessions.john,
    handlers: { NewRequestData: catalog, CreateTicket: created, ...handlers },
  });
}

describe('/new-request', () => {
  it('shows a loading state, then the form', async () => {
    renderApp({ path: '/new-request', session: sessions.john, handlers: { NewRequestData: () => 'pending' } });
    expect(await screen.findByTestId('loading')).toBeInTheDocument();
    expect(screen.queryByLabelText('Description')).not.toBeInTheDocument();
  });

  it('shows an error when the catalog cannot be loaded', async () => {
    renderApp({
      path: '/new-request',
      session: sessions.john,
      handlers: { NewRequestData: () => gqlError('UNAVAILABLE', 'database down') },
    });
    expect(await screen.findByRole('alert')).toHaveTextContent(/temporarily unavailable/i);
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
  });

  it('shows and requires software only for a software install', async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    const type = await screen.findByLabelText('Request type');
    expect(screen.queryByLabelText('Software')).not.toBeInTheDocument();

    await user.selectOptions(type, 'SOFTWARE_INSTALL');
    const sw = screen.getByLabelText('Software');
    expect(screen.getAllByRole('option', { name: 'Autodesk AutoCAD 2025' })).toHaveLength(1);
    expect(sw).toBeRequired();

    await user.type(screen.getByLabelText('Subject'), 'A new laptop');
    await user.type(screen.getByLabelText('Description'), 'Need it');
    await user.click(screen.getByRole('button', { name: 'Submit request' }));
    expect(await screen.findByText('Choose the software to install.')).toBeInTheDocument();
    expect(sw).toHaveAttribute('aria-invalid', 'true');
    expect(calls.some((c) => c.name === 'CreateTicket')).toBe(false);

    await user.selectOptions(type, 'HARDWARE');
    expect(screen.queryByLabelText('Software')).not.toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Submit request' }));
    await screen.findByTestId('created-ticket');
    const create = calls.find((c) => c.name === 'CreateTicket');
    expect(create?.variables).toEqual({
      input: { requestType: 'HARDWARE', subject: 'A new laptop', description: 'Need it' },
    });
  });

  it('refuses an empty description', async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    await user.selectOptions(await screen.findByLabelText('Request type'), 'OTHER');
    await user.type(screen.getByLabelText('Subject'), 'Something');
    await user.type(screen.getByLabelText('Description'), '   ');
    await user.click(screen.getByRole('button', { name: 'Submit request' }));
    expect(await screen.findByText('Describe what you need.')).toBeInTheDocument();
    expect(screen.getByLabelText('Description')).toHaveFocus();
    expect(calls.some((c) => c.name === 'CreateTicket')).toBe(false);
  });

  it('counts characters against limits.maxDescriptionChars and blocks going over', async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    await user.selectOptions(await screen.findByLabelText('Request type'), 'OTHER');
    const desc = screen.getByLabelText('Description');
    expect(screen.getByTestId('description-count')).toHaveTextContent('0 / 20 characters');
    await user.type(desc, 'x'.repeat(20));
    expect(screen.getByTestId('description-count')).toHaveTextContent('20 / 20 characters');
    expect(screen.queryByText(/too long/)).not.toBeInTheDocument();
    await user.type(desc, 'y');
    expect(screen.getByTestId('description-count')).toHaveTextContent('21 / 20 characters');
    expect(screen.getByText(/too long: at most 20 characters/)).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Submit request' }));
    expect(calls.some((c) => c.name === 'CreateTicket')).toBe(false);
  });

  it('shows the new ticket number linked to its page', async () => {
    const user = userEvent.setup();
    const { calls, router } = setup();
    await user.selectOptions(await screen.findByLabelText('Request type'), 'SOFTWARE_INSTALL');
    await user.selectOptions(screen.getByLabelText('Software'), 'Autodesk AutoCAD 2025');
    await user.type(screen.getByLabelText('Subject'), '  AutoCAD please ');
    await user.type(screen.getByLabelText('Description'), 'Please install');
    await user.click(screen.getByRole('button', { name: 'Submit request' }));
    const link = await screen.findByTestId('created-ticket-number');
    expect(link).toHaveTextContent('INC-2026-0009');
    expect(link).toHaveAttribute('href', '/tickets/INC-2026-0009');
    expect(screen.getByTestId('created-ticket-subject')).toHaveTextContent('AutoCAD please');
    expect(calls.find((c) => c.name === 'CreateTicket')?.variables).toEqual({
      input: { requestType: 'SOFTWARE_INSTALL', softwareId: '1', subject: 'AutoCAD please', description: 'Please install' },
    });
    await user.click(link);
    await waitFor(() => expect(router.state.location.pathname).toBe('/tickets/INC-2026-0009'));
  });

  it('shows the server refusal plainly', async () => {
    const user = userEvent.setup();
    setup({ CreateTicket: () => gqlError('BAD_USER_INPUT', 'software is not allowed for HARDWARE') });
    await user.selectOptions(await screen.findByLabelText('Request type'), 'OTHER');
    await user.type(screen.getByLabelText('Subject'), 'x');
    await user.type(screen.getByLabelText('Description'), 'x');
    await user.click(screen.getByRole('button', { name: 'Submit request' }));
    expect(await screen.findByTestId('create-error')).toHaveTextContent('software is not allowed for HARDWARE');
  });

  it('requires a subject of at most 120 characters and counts it', async () => {
    const user = userEvent.setup();
    const { calls } = setup();
    await user.selectOptions(await screen.findByLabelText('Request type'), 'OTHER');
    await user.type(screen.getByLabelText('Description'), 'Need it');
    await user.click(screen.getByRole('button', { name: 'Submit request' }));
    expect(await screen.findByText('Give the request a short subject.')).toBeInTheDocument();
    expect(screen.getByLabelText('Subject')).toHaveFocus();
    expect(screen.getByLabelText('Subject')).toHaveAttribute('maxlength', '120');
    await user.type(screen.getByLabelText('Subject'), 'Printer jams');
    expect(screen.getByTestId('subject-count')).toHaveTextContent('12 / 120 characters');
    expect(calls.some((c) => c.name === 'CreateTicket')).toBe(false);
  });

  it('explains the chosen request type and offers no retired title', async () => {
    const user = userEvent.setup();
    setup();
    const type = await screen.findByLabelText('Request type');
    expect(screen.queryByTestId('request-type-explanation')).not.toBeInTheDocument();
    await user.selectOptions(type, 'HARDWARE');
    expect(screen.getByTestId('request-type-explanation')).toHaveTextContent(/laptop, screen/);
    expect(type).toHaveAccessibleDescription(/laptop, screen/);
    await user.selectOptions(type, 'SOFTWARE_INSTALL');
    expect(screen.getByTestId('request-type-explanation')).toHaveTextContent(/from the catalog/);
    expect(screen.getByRole('option', { name: 'Autodesk Revit 2025' })).toBeInTheDocument();
    expect(screen.queryByRole('option', { name: 'Old CAD 1.0' })).not.toBeInTheDocument();
  });
});
