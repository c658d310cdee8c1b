// throwaway: drive the running local bot (npm start) over HTTP and print what each person receives
import { startFakeConnector, cardOf, cardText, cardActions } from './fakeConnector';
import { TeamsClient, personalConversationId } from './teamsClient';
import { PEOPLE } from '../e2e/support';

async function main() {
  const connector = await startFakeConnector();
  const teams = new TeamsClient('http://127.0.0.1:3978', connector.url);
  const show = (label: string, user: typeof PEOPLE.adele, from = 0) => {
    for (const a of connector.inConversation(personalConversationId(user)).slice(from)) {
      console.log(`--- ${label}: ${a.kind} to ${user.name} (${a.activityId})`);
      console.log(a.activity.text ?? cardText(cardOf(a)));
      const actions = cardActions(cardOf(a));
      if (actions.length) console.log('  [buttons]', actions.map((x) => `${x.title} → ${x.verb} ${JSON.stringify(x.data ?? {})}`).join(' | '));
    }
    return connector.inConversation(personalConversationId(user)).length;
  };
  for (const p of [PEOPLE.adele, PEOPLE.diego, PEOPLE.megan, PEOPLE.isaiah]) await teams.install(p);
  let a = 0, d = 0, m = 0;
  a = show('install', PEOPLE.adele, a); d = connector.inConversation(personalConversationId(PEOPLE.diego)).length; m = connector.inConversation(personalConversationId(PEOPLE.megan)).length;
  await teams.say(PEOPLE.adele, 'request');
  const formId = connector.inConversation(personalConversationId(PEOPLE.adele)).at(-1)!.activityId;
  a = show('request', PEOPLE.adele, a);
  const bad = await teams.click(PEOPLE.adele, 'request.submit', { packageId: 'crm-users', justification: '' }, formId);
  console.log('--- submit without justification →', bad.statusCode, bad.message);
  const ok = await teams.click(PEOPLE.adele, 'request.submit', { packageId: 'crm-users', justification: 'I run the Q3 pipeline review', endDate: '2027-03-31' }, formId);
  console.log('--- submit →', ok.statusCode, ok.type); console.log(cardText(ok.value));
  await new Promise((r) => setTimeout(r, 1500));
  d = show('after submit', PEOPLE.diego, d); m = show('after submit', PEOPLE.megan, m);
  const approve = cardActions(cardOf(connector.inConversation(personalConversationId(PEOPLE.megan)).at(-1))).find((x) => x.verb === 'request.approve')!;
  const forged = await teams.click(PEOPLE.isaiah, 'request.approve', { ...approve.data, approverJustification: 'x' });
  console.log('--- Isaiah clicks approve →', forged.statusCode, forged.message);
  const self = await teams.click(PEOPLE.adele, 'request.approve', { ...approve.data, approverJustification: 'x' });
  console.log('--- Adele approves her own →', self.statusCode, self.message);
  const res = await teams.click(PEOPLE.megan, 'request.approve', { ...approve.data, approverJustification: 'Needed for the Q3 review' });
  console.log('--- Megan approves →', res.statusCode); console.log(cardText(res.value));
  await new Promise((r) => setTimeout(r, 1500));
  a = show('after approve', PEOPLE.adele, a); d = show('after approve', PEOPLE.diego, d); m = show('after approve', PEOPLE.megan, m);
  const late = await teams.click(PEOPLE.diego, 'request.deny', { ...approve.data, approverJustification: 'no' });
  console.log('--- Diego denies late →', late.statusCode, late.message);
  await connector.close();
}
void main();
